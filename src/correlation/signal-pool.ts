// The in-memory engine's signals: every free or held signal of a rule's groups is a node in the rule's pool of
// typed records (event time, input order, part mask, next node) beside one array of ids, and a group's free
// signals and its open alert's signals are linked lists through it. No object per signal and none per list: a step
// touches a node record or two, and nodes are reused, so a long replay does not churn the garbage collector.
// A list goes back whole (no walk over its nodes), so a vacant node keeps its id until it is reused.
import { grown } from './grown.js';

export const NONE = -1;

/** Float64s per node: its event time, its input order, then its part mask and next node as two int32 (24 bytes). */
const NODE = 3;

/**
 * Nodes of singly linked lists of signals, each one 24-byte record: a node read or written touches one or two
 * cache lines and one page, not one of each per field (a vacant node is cold: reusing it wrote four arrays).
 * Arrays grow by doubling and are replaced: read them after `add`.
 */
export class SignalPool {
  private f = new Float64Array(1024 * NODE);
  private i = new Int32Array(this.f.buffer);
  ids: string[] = [];
  /**
   * Vacant nodes: the lists given back, as a stack of (head, tail) runs. Linking a list onto one vacant list
   * wrote its tail's next, and a list goes back cold (an idle group's, a closed alert's): a cache miss per
   * eviction. A run is taken node by node from its head, whose node is written then anyway.
   */
  private runHeads = new Int32Array(64);
  private runTails = new Int32Array(64);
  private runs = 0;
  private top = 0;
  /** Nodes in use. */
  live = 0;

  t(node: number): number {
    return this.f[node * NODE]!;
  }

  seq(node: number): number {
    return this.f[node * NODE + 1]!;
  }

  mask(node: number): number {
    return this.i[node * 2 * NODE + 4]!;
  }

  next(node: number): number {
    return this.i[node * 2 * NODE + 5]!;
  }

  /** Links `node` to `to` (NONE: the end of its list). */
  link(node: number, to: number): void {
    this.i[node * 2 * NODE + 5] = to;
  }

  /** Nodes allocated (in use or vacant). */
  get capacity(): number {
    return this.f.length / NODE;
  }

  /** A new node at the end of no list (next = NONE). */
  add(id: string, t: number, seq: number, mask: number): number {
    let node: number;
    if (this.runs > 0) {
      const r = this.runs - 1;
      node = this.runHeads[r]!;
      if (node === this.runTails[r]) this.runs = r;
      else this.runHeads[r] = this.next(node);
      this.ids[node] = id;
    } else {
      if (this.top === this.capacity) this.grow();
      node = this.top++;
      this.ids.push(id);
    }
    const at = node * NODE;
    this.f[at] = t;
    this.f[at + 1] = seq;
    this.i[2 * at + 4] = mask;
    this.i[2 * at + 5] = NONE;
    this.live++;
    return node;
  }

  /**
   * Frees a whole list of `size` nodes, `head` to `tail`: none of its nodes is visited (an open alert's are many
   * and cold), so their ids stay referenced until the nodes are reused (bounded by the pool).
   */
  releaseList(head: number, tail: number, size: number): void {
    if (head === NONE) return;
    if (this.runs === this.runHeads.length) {
      this.runHeads = grown(this.runHeads);
      this.runTails = grown(this.runTails);
    }
    this.runHeads[this.runs] = head;
    this.runTails[this.runs++] = tail;
    this.live -= size;
  }

  /** The ids of a list, in list order. */
  idsOf(head: number, size: number): string[] {
    const ids = new Array<string>(size);
    for (let node = head, i = 0; node !== NONE; node = this.next(node), i++) ids[i] = this.ids[node]!;
    return ids;
  }

  private grow(): void {
    this.f = grown(this.f);
    this.i = new Int32Array(this.f.buffer);
  }
}
