import { describe, expect, it } from 'vitest';
import { NONE, SignalPool } from './signal-pool.js';

/** Builds a list of `n` nodes in the pool; returns its head and tail. */
function list(pool: SignalPool, n: number, from: number): [number, number] {
  let head = NONE;
  let tail = NONE;
  for (let k = 0; k < n; k++) {
    const node = pool.add(`s${from + k}`, from + k, from + k, 1);
    if (tail === NONE) head = node;
    else pool.link(tail, node);
    tail = node;
  }
  return [head, tail];
}

describe('SignalPool', () => {
  it('reuses every node of the lists given back, whole lists without visiting them, before it grows', () => {
    const pool = new SignalPool();
    const lists = [list(pool, 3, 0), list(pool, 1, 10), list(pool, 5, 20)];
    const capacity = pool.capacity;
    expect(pool.live).toBe(9);
    const given = new Set<number>();
    for (const [head, tail] of [lists[0]!, lists[2]!]) {
      for (let n = head; n !== tail; n = pool.next(n)) given.add(n);
      given.add(tail);
    }
    pool.releaseList(lists[0]![0], lists[0]![1], 3);
    pool.releaseList(lists[2]![0], lists[2]![1], 5);
    pool.releaseList(NONE, NONE, 0);
    expect(pool.live).toBe(1);
    // The tail of a list given back is not linked anywhere: its next stays what it was.
    expect(pool.next(lists[2]![1])).toBe(NONE);
    const reused = new Set<number>();
    for (let k = 0; k < 8; k++) reused.add(pool.add(`r${k}`, 100 + k, 100 + k, 2));
    expect(reused).toEqual(given);
    expect(pool.live).toBe(9);
    // A reused node is a new node: its fields are the new signal's, the end of no list.
    for (const n of reused) {
      expect(pool.ids[n]).toMatch(/^r/);
      expect(pool.next(n)).toBe(NONE);
      expect(pool.mask(n)).toBe(2);
    }
    // Nothing vacant left: the next node is a new one.
    expect(reused.has(pool.add('x', 0, 0, 0))).toBe(false);
    expect(pool.capacity).toBe(capacity);
  });

  it('keeps any number of lists given back (the stack of runs grows)', () => {
    const pool = new SignalPool();
    const lists = Array.from({ length: 500 }, (_, k) => list(pool, 2, k * 2));
    for (const [head, tail] of lists) pool.releaseList(head, tail, 2);
    expect(pool.live).toBe(0);
    const nodes = new Set(Array.from({ length: 1000 }, (_, k) => pool.add(`n${k}`, k, k, 1)));
    expect(nodes.size).toBe(1000);
    expect(Math.max(...nodes)).toBe(999);
  });
});
