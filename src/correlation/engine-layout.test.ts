import { describe, expect, it } from 'vitest';
import { NONE, SignalPool } from './signal-pool.js';
import { EvictQueue } from './evict-queue.js';
import { KeyIntern } from './key-intern.js';

describe('SignalPool', () => {
  it('links nodes into lists, reuses freed nodes, and keeps its values across growth', () => {
    const pool = new SignalPool();
    // Two interleaved lists, long enough to grow the arrays several times.
    const heads = [NONE, NONE];
    const tails = [NONE, NONE];
    for (let i = 0; i < 5000; i++) {
      const list = i % 2;
      const node = pool.add(`s${i}`, 1e15 + i, i, 1 << list);
      if (tails[list] === NONE) heads[list] = node;
      else pool.link(tails[list]!, node);
      tails[list] = node;
    }
    expect(pool.live).toBe(5000);
    const odd = pool.idsOf(heads[1]!, 2500);
    expect(odd.slice(0, 3)).toEqual(['s1', 's3', 's5']);
    expect(odd[2499]).toBe('s4999');
    expect(pool.t(heads[1]!)).toBe(1e15 + 1);
    expect(pool.mask(tails[0]!)).toBe(1);

    pool.releaseList(heads[0]!, tails[0]!, 2500);
    expect(pool.live).toBe(2500);
    // Freed nodes are reused before the pool grows again, and come back clean.
    const reused = pool.add('again', 7, 8, 3);
    expect(reused).toBeLessThan(5000);
    expect([pool.ids[reused], pool.t(reused), pool.seq(reused), pool.mask(reused), pool.next(reused)]).toEqual(['again', 7, 8, 3, NONE]);
    expect(pool.idsOf(heads[1]!, 2500)).toEqual(odd);
    // The whole spliced list comes back, node by node, before the pool takes a new one.
    const again = new Set([reused]);
    for (let i = 1; i < 2500; i++) again.add(pool.add(`b${i}`, 0, 0, 0));
    expect(again.size).toBe(2500);
    expect(Math.max(...again)).toBeLessThan(5000);
    expect(pool.add('new', 0, 0, 0)).toBe(5000);
    expect(pool.idsOf(heads[1]!, 2500)).toEqual(odd);
  });
});

describe('EvictQueue', () => {
  it('gives entries back first in, first out, across wrap-around and growth', () => {
    const q = new EvictQueue();
    let next = 0;
    let expected = 0;
    // Push and shift at uneven rates so the ring wraps before it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 97; i++, next++) q.push(next, next * 10);
      for (let i = 0; i < 60; i++, expected++) {
        expect(q.frontTime()).toBe(expected * 10);
        expect(q.shift()).toBe(expected);
      }
    }
    expect(q.size).toBe(next - expected);
    while (q.size) expect(q.shift()).toBe(expected++);
    expect(expected).toBe(next);
  });
});

describe('KeyIntern', () => {
  it('gives one id per key, forgets a key when its last reference goes, and reuses the id', () => {
    const intern = new KeyIntern();
    const a = intern.id('alice');
    expect(intern.id('alice')).toBe(a);
    const b = intern.id('bob');
    expect(b).not.toBe(a);
    intern.ref(a);
    intern.ref(a);
    intern.ref(b);
    intern.unref(a);
    expect(intern.key(a)).toBe('alice'); // one reference left
    intern.unref(a);
    expect(intern.size).toBe(1);
    const c = intern.id('carol');
    expect(c).toBe(a); // the freed id, now carol's
    expect(intern.key(c)).toBe('carol');
    expect(intern.id('bob')).toBe(b);
    // Many keys: ids stay distinct as the reference counts grow.
    const ids = new Set(Array.from({ length: 500 }, (_, i) => intern.id(`k${i}`)));
    expect(ids.size).toBe(500);
  });
});
