// The in-memory engine's signals: every free or held signal of every group is a node in one pool of typed
// arrays (event time, input order, part mask, next node) beside one array of ids, and a group's free signals
// and its open alert's signals are linked lists through it. No object per signal and none per list: a step
// touches a few array slots, and nodes are reused, so a long replay does not churn the garbage collector.
// A list goes back in one splice (no walk over its nodes), so a vacant node keeps its id until it is reused.

export const NONE = -1;

/** Nodes of singly linked lists of signals. Arrays grow by doubling and are replaced: read them after `add`. */
export class SignalPool {
  t = new Float64Array(1024);
  seq = new Float64Array(1024);
  mask = new Int32Array(1024);
  next = new Int32Array(1024);
  ids: string[] = [];
  private vacant = NONE;
  private top = 0;
  /** Nodes in use. */
  live = 0;

  /** A new node at the end of no list (next = NONE). */
  add(id: string, t: number, seq: number, mask: number): number {
    let node = this.vacant;
    if (node !== NONE) {
      this.vacant = this.next[node]!;
      this.ids[node] = id;
    } else {
      if (this.top === this.t.length) this.grow();
      node = this.top++;
      this.ids.push(id);
    }
    this.t[node] = t;
    this.seq[node] = seq;
    this.mask[node] = mask;
    this.next[node] = NONE;
    this.live++;
    return node;
  }

  /**
   * Frees a whole list of `size` nodes, `head` to `tail`, in one splice: its nodes are not visited (an open
   * alert's are many and cold), so their ids stay referenced until the nodes are reused (bounded by the pool).
   */
  releaseList(head: number, tail: number, size: number): void {
    if (head === NONE) return;
    this.next[tail] = this.vacant;
    this.vacant = head;
    this.live -= size;
  }

  /** The ids of a list, in list order. */
  idsOf(head: number, size: number): string[] {
    const ids = new Array<string>(size);
    for (let node = head, i = 0; node !== NONE; node = this.next[node]!, i++) ids[i] = this.ids[node]!;
    return ids;
  }

  private grow(): void {
    const n = this.t.length * 2;
    const grown = <A extends Float64Array | Int32Array>(a: A, make: new (n: number) => A): A => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.t = grown(this.t, Float64Array);
    this.seq = grown(this.seq, Float64Array);
    this.mask = grown(this.mask, Int32Array);
    this.next = grown(this.next, Int32Array);
  }
}
