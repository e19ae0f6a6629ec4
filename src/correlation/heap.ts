// The two steps of a binary min-heap held in an array, shared by the k-way merges of the external sorts
// (external-sort.ts, record-sort.ts). `less` breaks ties itself (by run index), so the merges stay stable.

/** Moves the last element up to its place. */
export function siftUp<T>(heap: T[], less: (a: T, b: T) => boolean): void {
  for (let i = heap.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (!less(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

/** Moves the first element down to its place. */
export function siftDown<T>(heap: T[], less: (a: T, b: T) => boolean): void {
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
    if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
    if (m === i) break;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}
