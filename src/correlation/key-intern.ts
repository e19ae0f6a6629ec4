// Group keys as numbers: each distinct key of a groupBy is interned once, so a signal's key is hashed and
// looked up once however many rules group by it, and each rule finds its group by indexing an array with the
// number. Ids are counted by the groups that use them and recycled when none does (memory stays bounded).

export class KeyIntern {
  private readonly ids = new Map<string, number>();
  private keys: string[] = [];
  private refs = new Int32Array(64);
  private vacant: number[] = [];

  /** The key's id, made if new (with no references yet). */
  id(key: string): number {
    let id = this.ids.get(key);
    if (id !== undefined) return id;
    id = this.vacant.pop();
    if (id === undefined) {
      id = this.keys.push(key) - 1;
      if (id === this.refs.length) {
        const refs = new Int32Array(id * 2);
        refs.set(this.refs);
        this.refs = refs;
      }
    } else this.keys[id] = key;
    this.refs[id] = 0;
    this.ids.set(key, id);
    return id;
  }

  key(id: number): string {
    return this.keys[id]!;
  }

  ref(id: number): void {
    this.refs[id]!++;
  }

  /** Drops a reference; the last one forgets the key and frees its id. */
  unref(id: number): void {
    if (--this.refs[id]! > 0) return;
    this.ids.delete(this.keys[id]!);
    this.keys[id] = '';
    this.vacant.push(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
