import { describe, expect, it } from 'vitest';
import { prng } from '../../test/support/prng.js';
import { SlotOrder } from './slot-order.js';

describe('SlotOrder', () => {
  it('orders indexes by slot, equal slots in index order; with slots far past the count, by buckets of adjacent slots', () => {
    const random = prng(3);
    const sorter = new SlotOrder();
    for (const [count, range] of [[1, 1], [50, 10], [1_000, 1_000], [300, 1 << 20], [5_000, 16_384]] as const) {
      const slots = Int32Array.from({ length: count }, () => Math.floor(random() * range));
      for (const exact of [true, false]) {
        const order = [...sorter.sort(slots, count, exact).subarray(0, count)];
        expect(new Set(order).size).toBe(count);
        // Stable: a slot's indexes in increasing order, whatever the buckets.
        const bySlot = new Map<number, number[]>();
        for (const j of order) bySlot.set(slots[j]!, [...(bySlot.get(slots[j]!) ?? []), j]);
        for (const js of bySlot.values()) expect(js).toEqual([...js].sort((a, b) => a - b));
        // Exact: non-decreasing slots; else within a bucket's width of it.
        const width = exact ? 1 : 2 ** Math.ceil(Math.log2(Math.max(1, range / count)) + 1);
        for (let k = 1; k < count; k++) expect(slots[order[k]!]! - slots[order[k - 1]!]!).toBeGreaterThan(-width);
        if (exact) expect(order.map((j) => slots[j])).toEqual([...slots].sort((a, b) => a - b));
      }
    }
  });
});
