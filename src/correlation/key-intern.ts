// Group keys as numbers: each distinct key of a groupBy is interned once, so a signal's key is hashed and
// looked up once however many rules group by it, and each rule finds its group by indexing an array with the
// number. Ids are counted by the groups that use them and recycled when none does (memory stays bounded).
//
// The lookup is an open-addressing table in one Int32Array, probed linearly: each position holds id + 1, the
// hash, the length and the first INLINE code units of the key, so a hit on a key that short reads one 32-byte
// entry and nothing else (a Map of strings walks a bucket chain; comparing with the stored string chased two
// more pointers, the intern's largest cost in the engine's profile). Longer keys also compare the stored string.
// Deletion shifts later entries back, no tombstones.
import { charClass, isNormalValue } from '../signals/normalize.js';

const EMPTY = 0;
/** Int32s per table position: id + 1, hash, length, then INLINE code units, two per int32. */
const ENTRY = 8;
const INLINE = 10;

/** FNV-1a over the UTF-16 code units, never 0. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 1;
}

export class KeyIntern {
  /**
   * ENTRY int32s per position; id + 1 = EMPTY: a free position. Capacity a power of two, at most three quarters
   * full: half the table of a half-full bound for as many keys (10,000 keys: 512 KB, not 1 MB), fewer cache misses.
   */
  private table = new Int32Array(ENTRY * 64);
  private mask = 63;
  private keys: string[] = [];
  /** The groupBy values of each key (made from the key itself on first use when there is one field). */
  private tuples: (readonly string[] | undefined)[] = [];
  private refs = new Int32Array(64);
  private vacant: number[] = [];
  private count = 0;

  /** The key's first INLINE code units as the table stores them, filled by `hash` for the lookup that follows. */
  private readonly probe = new Int32Array(INLINE / 2);
  /** The character classes of the key `hash` read (normalize.ts charClass), ORed. */
  private classes = 0;

  /** The key's id, or -1 when it has none. */
  find(key: string): number {
    return this.lookup(key, this.hash(key));
  }

  /** hashKey(key), and the key's inline words into `probe`: one pass over its code units. */
  private hash(key: string): number {
    const probe = this.probe;
    const len = key.length;
    let h = 0x811c9dc5 | 0;
    let word = 0;
    let classes = 0;
    for (let i = 0; i < len; i++) {
      const c = key.charCodeAt(i);
      h = Math.imul(h ^ c, 0x01000193);
      classes |= charClass(c);
      if (i < INLINE) {
        if (i & 1) probe[i >> 1] = word | (c << 16);
        else word = c;
      }
    }
    if (len < INLINE && len & 1) probe[len >> 1] = word;
    this.classes = classes;
    return h | 1;
  }

  private lookup(key: string, h: number): number {
    const table = this.table;
    const mask = this.mask;
    const len = key.length;
    for (let pos = h & mask; ; pos = (pos + 1) & mask) {
      const at = pos * ENTRY;
      const entry = table[at]!;
      if (entry === EMPTY) return -1;
      if (table[at + 1] === h && table[at + 2] === len && this.same(key, len, at, entry - 1)) return entry - 1;
    }
  }

  /** Is the key (of length len, hash already equal, its words in `probe`) the one at position `at`, of id `id`? */
  private same(key: string, len: number, at: number, id: number): boolean {
    const table = this.table;
    const probe = this.probe;
    const words = len < INLINE ? (len + 1) >> 1 : INLINE / 2;
    for (let w = 0; w < words; w++) if (table[at + 3 + w] !== probe[w]) return false;
    return len <= INLINE || this.keys[id] === key;
  }

  /** The key's id, made if new (with no references yet); `tuple`: its values, with several groupBy fields. */
  id(key: string, tuple?: readonly string[]): number {
    const h = this.hash(key);
    const found = this.lookup(key, h);
    return found >= 0 ? found : this.add(key, h, tuple);
  }

  /**
   * id(value) for a raw artifact value that normalizes to itself (normalize.ts isNormalValue), else -1 and
   * nothing made: the check reads the characters in the pass that hashes them, where a check of its own read
   * them again (a value is interned once per signal and groupBy).
   */
  idIfNormal(value: string): number {
    const h = this.hash(value);
    if (!isNormalValue(value, this.classes)) return -1;
    const found = this.lookup(value, h);
    return found >= 0 ? found : this.add(value, h);
  }

  private add(key: string, h: number, tuple?: readonly string[]): number {
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
    if (++this.count * 4 > (this.mask + 1) * 3) this.rehash((this.mask + 1) * 2);
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
    while (table[pos * ENTRY] !== EMPTY) pos = (pos + 1) & this.mask;
    const at = pos * ENTRY;
    const key = this.keys[id]!;
    const n = Math.min(key.length, INLINE);
    table[at] = id + 1;
    table[at + 1] = h;
    table[at + 2] = key.length;
    table.fill(0, at + 3, at + ENTRY);
    for (let k = 0; k < n; k++) table[at + 3 + (k >> 1)]! |= key.charCodeAt(k) << (k & 1 ? 16 : 0);
  }

  /** Takes the id's entry out and shifts back the entries of its probe run that may take its place. */
  private remove(id: number): void {
    const table = this.table;
    const mask = this.mask;
    let hole = hashKey(this.keys[id]!) & mask;
    while (table[hole * ENTRY] !== id + 1) hole = (hole + 1) & mask;
    for (let pos = (hole + 1) & mask; table[pos * ENTRY] !== EMPTY; pos = (pos + 1) & mask) {
      const home = table[pos * ENTRY + 1]! & mask;
      // The entry at pos may move to the hole unless its home lies after the hole (cyclically, up to pos).
      if (((pos - home) & mask) >= ((pos - hole) & mask)) {
        table.copyWithin(hole * ENTRY, pos * ENTRY, (pos + 1) * ENTRY);
        hole = pos;
      }
    }
    table[hole * ENTRY] = EMPTY;
  }

  private rehash(capacity: number): void {
    const old = this.table;
    this.table = new Int32Array(ENTRY * capacity);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += ENTRY) if (old[at] !== EMPTY) this.place(old[at]! - 1, old[at + 1]!);
  }
}
