// The in-memory engine's accesses to a rule's table of group records in increasing slot order: a run of them
// then reads the table front to back, as the processor's prefetcher reads ahead, where in arrival or queue order
// each was a cache miss somewhere in it (a rule's table is 1.3 MB at 10,000 groups, and the other rules' tables
// and nodes push it out of the cache between runs). Used by a flush's steps (step-queue.ts) and by eviction.

/** A stable counting sort of slot numbers, into buffers kept from one call to the next. */
export class SlotOrder {
  private order = new Int32Array(256);
  private buckets = new Int32Array(64);

  /**
   * The indexes 0..count-1 of `slots` in increasing slot order, equal slots in index order (three passes; the
   * array is reused by the next call). Where the slots go far past `count`, a few adjacent slots share a bucket
   * and keep their index order, so that the sort stays O(count), unless `exact`: then an insertion sort puts
   * each bucket in slot order too (a bucket holds about one index: little to move).
   */
  sort(slots: Int32Array, count: number, exact = false): Int32Array {
    let max = 0;
    for (let k = 0; k < count; k++) if (slots[k]! > max) max = slots[k]!;
    let bits = 0;
    while (max >>> bits > count) bits++;
    const n = (max >>> bits) + 2;
    if (this.buckets.length < n) this.buckets = new Int32Array(Math.max(n, this.buckets.length * 2));
    if (this.order.length < count) this.order = new Int32Array(Math.max(count, this.order.length * 2));
    const buckets = this.buckets;
    const order = this.order;
    buckets.fill(0, 0, n);
    for (let k = 0; k < count; k++) buckets[(slots[k]! >>> bits) + 1]!++;
    for (let b = 1; b < n; b++) buckets[b]! += buckets[b - 1]!;
    for (let k = 0; k < count; k++) order[buckets[slots[k]! >>> bits]!++] = k;
    if (exact && bits > 0) {
      for (let k = 1; k < count; k++) {
        const j = order[k]!;
        const slot = slots[j]!;
        let at = k;
        // Strictly greater only: equal slots keep their index order (stable).
        for (; at > 0 && slots[order[at - 1]!]! > slot; at--) order[at] = order[at - 1]!;
        order[at] = j;
      }
    }
    return order;
  }
}
