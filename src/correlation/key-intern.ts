// Group keys as numbers: each distinct key of a groupBy is interned once, so a signal's key is hashed and
// looked up once however many rules group by it, and each rule finds its group by indexing an array with the
// number. Ids are counted by the groups that use them and recycled when none does (memory stays bounded).
//
// The lookup is an open-addressing table of (id + 1, hash) pairs in one Int32Array, probed linearly: a hit
// reads one pair and compares one string, where a Map of strings also walks a bucket chain (the engine's
// profile had the Map's lookup as its largest single cost). Deletion shifts later entries back, no tombstones.

const EMPTY = 0;

/** FNV-1a over the UTF-16 code units, never 0. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 1;
}

export class KeyIntern {
  /** Pairs (id + 1, hash) by position; id + 1 = EMPTY: a free position. Capacity a power of two, at most half full. */
  private table = new Int32Array(2 * 64);
  private mask = 63;
  private keys: string[] = [];
  /** The groupBy values of each key (made from the key itself on first use when there is one field). */
  private tuples: (readonly string[] | undefined)[] = [];
  private refs = new Int32Array(64);
  private vacant: number[] = [];
  private count = 0;

  /** The key's id, or -1 when it has none. */
  find(key: string): number {
    return this.lookup(key, hashKey(key));
  }

  private lookup(key: string, h: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let pos = h & mask; ; pos = (pos + 1) & mask) {
      const entry = table[2 * pos]!;
      if (entry === EMPTY) return -1;
      if (table[2 * pos + 1] === h && this.keys[entry - 1] === key) return entry - 1;
    }
  }

  /** The key's id, made if new (with no references yet); `tuple`: its values, with several groupBy fields. */
  id(key: string, tuple?: readonly string[]): number {
    const h = hashKey(key);
    const found = this.lookup(key, h);
    if (found >= 0) return found;
    let id = this.vacant.pop();
    if (id === undefined) {
      id = this.keys.push(key) - 1;
      this.tuples.push(tuple);
      if (id === this.refs.length) {
        const refs = new Int32Array(id * 2);
        refs.set(this.refs);
        this.refs = refs;
      }
    } else {
      this.keys[id] = key;
      this.tuples[id] = tuple;
    }
    this.refs[id] = 0;
    if (++this.count * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    this.place(id, h);
    return id;
  }

  key(id: number): string {
    return this.keys[id]!;
  }

  values(id: number): readonly string[] {
    return (this.tuples[id] ??= [this.keys[id]!]);
  }

  ref(id: number): void {
    this.refs[id]!++;
  }

  /** Drops a reference; the last one forgets the key and frees its id. */
  unref(id: number): void {
    if (--this.refs[id]! > 0) return;
    this.remove(id);
    this.keys[id] = '';
    this.tuples[id] = undefined;
    this.vacant.push(id);
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  private place(id: number, h: number): void {
    const table = this.table;
    let pos = h & this.mask;
    while (table[2 * pos] !== EMPTY) pos = (pos + 1) & this.mask;
    table[2 * pos] = id + 1;
    table[2 * pos + 1] = h;
  }

  /** Takes the id's entry out and shifts back the entries of its probe run that may take its place. */
  private remove(id: number): void {
    const table = this.table;
    const mask = this.mask;
    let hole = hashKey(this.keys[id]!) & mask;
    while (table[2 * hole] !== id + 1) hole = (hole + 1) & mask;
    for (let pos = (hole + 1) & mask; table[2 * pos] !== EMPTY; pos = (pos + 1) & mask) {
      const home = table[2 * pos + 1]! & mask;
      // The entry at pos may move to the hole unless its home lies after the hole (cyclically, up to pos).
      if (((pos - home) & mask) >= ((pos - hole) & mask)) {
        table[2 * hole] = table[2 * pos]!;
        table[2 * hole + 1] = table[2 * pos + 1]!;
        hole = pos;
      }
    }
    table[2 * hole] = EMPTY;
  }

  private rehash(capacity: number): void {
    const old = this.table;
    this.table = new Int32Array(2 * capacity);
    this.mask = capacity - 1;
    for (let pos = 0; pos < old.length; pos += 2) if (old[pos] !== EMPTY) this.place(old[pos]! - 1, old[pos + 1]!);
  }
}
