import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecordBuffer, RecordSorter, type RecordSortLimits } from './record-sort.js';
import { sortIndex } from './record-runs.js';
import { prng } from '../../test/correlation/helpers.js';

interface Item {
  k1: number;
  k2: number;
  text: string;
}

const internals = (sorter: RecordSorter) => sorter as unknown as { dir?: string; inOrder: boolean };

function sortAll(items: Item[], limits: RecordSortLimits): { out: Item[]; sorter: RecordSorter; dir?: string } {
  const sorter = new RecordSorter(limits);
  for (const item of items) {
    const start = sorter.begin(item.k1, item.k2, 3 * item.text.length);
    sorter.commit(start + sorter.buf.write(item.text, start));
  }
  const dir = internals(sorter).dir;
  const out: Item[] = [];
  sorter.drain((r) => out.push({ k1: r.k1, k2: r.k2, text: r.buf.toString('utf8', r.start, r.end) }));
  return { out, sorter, dir };
}

describe('RecordSorter', () => {
  const random = prng(7);
  // Payloads of every size up to a few hundred bytes, multi-byte characters and line breaks included.
  const items: Item[] = Array.from({ length: 3000 }, (_, i) => ({
    k1: Math.floor(random() * 200),
    k2: i,
    text: ['', 'a', 'é\n', '𝄞\r\n', 'x'.repeat(Math.floor(random() * 400))][i % 5]!,
  }));
  const expected = [...items].sort((a, b) => a.k1 - b.k1 || a.k2 - b.k2);

  it('spills by bytes with a tiny budget and gives the same order as the in-memory sort, then removes its files', () => {
    const inMemory = sortAll(items, {});
    expect(inMemory.sorter.spilled).toBe(0);
    expect(inMemory.out).toEqual(expected);
    const spilled = sortAll(items, { maxBytes: 4096 });
    expect(spilled.sorter.spilled).toBeGreaterThan(20);
    expect(spilled.out).toEqual(expected);
    expect(spilled.dir).toBeDefined();
    expect(existsSync(spilled.dir!)).toBe(false);
  });

  it('spills by item count when told (the simulator tests\' small chunks)', () => {
    const some = items.slice(0, 300);
    const sorted = [...some].sort((a, b) => a.k1 - b.k1 || a.k2 - b.k2);
    for (const maxItems of [1, 2, 17, 299]) expect(sortAll(some, { maxItems }).out, `maxItems ${maxItems}`).toEqual(sorted);
  });

  it('keeps records in arrival order among equal keys', () => {
    const same = items.map((item) => ({ ...item, k2: 0 }));
    const stable = [...same].sort((a, b) => a.k1 - b.k1);
    expect(sortAll(same, {}).out).toEqual(stable);
    expect(sortAll(same, { maxBytes: 4096 }).out).toEqual(stable);
  });

  it('reads records that came in order back run after run, without a merge', () => {
    const { out, sorter } = sortAll(expected, { maxBytes: 4096 });
    expect(out).toEqual(expected);
    expect(internals(sorter).inOrder).toBe(true);
  });

  it('takes a record larger than its whole budget', () => {
    const big = [{ k1: 2, k2: 0, text: 'b'.repeat(100_000) }, { k1: 1, k2: 1, text: 'a' }, { k1: 3, k2: 2, text: 'c'.repeat(50_000) }];
    expect(sortAll(big, { maxBytes: 4096 }).out).toEqual([big[1], big[0], big[2]]);
    expect(sortAll(big, { maxBytes: 4096, maxItems: 1 }).out).toEqual([big[1], big[0], big[2]]);
  });

  it('removes its spilled runs when discarded (the input turned out bad)', () => {
    const sorter = new RecordSorter({ maxItems: 10 });
    for (const item of items.slice(0, 100)) sorter.commit(sorter.begin(item.k1, item.k2, 0));
    const dir = internals(sorter).dir!;
    expect(existsSync(dir)).toBe(true);
    sorter.discard();
    expect(existsSync(dir)).toBe(false);
  });

  it('takes whole blocks of records (a parse worker\'s chunks) as it takes them one by one, line offsets and patches applied', () => {
    // Chunks of varied sizes, line numbers counted within each chunk; the patch upper-cases a payload's first byte.
    const chunks: { records: Uint8Array; offset: number }[] = [];
    const want: Item[] = [];
    for (let at = 0, chunk = 0; at < items.length; chunk++) {
      const size = [1, 7, 40, 333][chunk % 4]!;
      const block = new RecordBuffer(64);
      const offset = at;
      for (const item of items.slice(at, at + size)) {
        const text = `q${item.text}`;
        const start = block.begin(item.k1, item.k2 - offset, 3 * text.length);
        block.commit(start + block.buf.write(text, start));
        want.push({ ...item, text: `Q${item.text}` });
      }
      chunks.push({ records: block.bytes(), offset });
      at += size;
    }
    want.sort((a, b) => a.k1 - b.k1 || a.k2 - b.k2);
    for (const limits of [{}, { maxBytes: 4096 }, { maxItems: 5 }, { maxItems: 1 }]) {
      const sorter = new RecordSorter(limits);
      for (const { records, offset } of chunks) sorter.addRecords(records, offset, (buf, start) => void (buf[start] = 0x51));
      const out: Item[] = [];
      sorter.drain((r) => out.push({ k1: r.k1, k2: r.k2, text: r.buf.toString('utf8', r.start, r.end) }));
      expect(out, JSON.stringify(limits)).toEqual(want);
    }
  });

  it('writes blocks that come in order straight to a run, and still sorts, stably, what comes out of order after them', () => {
    const add = (sink: RecordBuffer | RecordSorter, item: Item) => {
      const start = sink.begin(item.k1, item.k2, 3 * item.text.length);
      sink.commit(start + sink.buf.write(item.text, start));
    };
    const block = (from: Item[]) => {
      const records = new RecordBuffer(64);
      for (const item of from) add(records, item);
      return records.bytes();
    };
    // In order: nothing waits in the arena, one run is appended to.
    const ordered = new RecordSorter({});
    for (let at = 0; at < expected.length; at += 500) ordered.addRecords(block(expected.slice(at, at + 500)), 0);
    expect(ordered.spilled).toBe(1);
    const out: Item[] = [];
    ordered.drain((r) => out.push({ k1: r.k1, k2: r.k2, text: r.buf.toString('utf8', r.start, r.end) }));
    expect(out).toEqual(expected);
    // In order for most of the input, then a block that breaks the order half-way, then blocks in order again
    // (equal keys in arrival order), and single records.
    const late = expected.slice(0, 2000).map((item) => ({ ...item, k2: 0 }));
    const rest = items.slice(2000).map((item) => ({ ...item, k1: item.k1 % 50, k2: 0 }));
    const mixed = new RecordSorter({ maxBytes: 1 << 16 });
    mixed.addRecords(block(late.slice(0, 1000)), 0);
    mixed.addRecords(block([...late.slice(1000, 1500), ...rest.slice(0, 300)]), 0);
    mixed.addRecords(block(late.slice(1500)), 0);
    for (const item of rest.slice(300)) add(mixed, item);
    const arrival = [...late.slice(0, 1500), ...rest.slice(0, 300), ...late.slice(1500), ...rest.slice(300)];
    const got: Item[] = [];
    mixed.drain((r) => got.push({ k1: r.k1, k2: r.k2, text: r.buf.toString('utf8', r.start, r.end) }));
    expect(got).toEqual([...arrival].sort((a, b) => a.k1 - b.k1));
  });

  it('gives nothing for no records', () => {
    expect(sortAll([], { maxItems: 1 }).out).toEqual([]);
  });
});

describe('sortIndex', () => {
  it('orders by k1, then k2, equal keys by index (-0 as 0), as a comparator sort does', () => {
    let seed = 3;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const n of [0, 1, 2, 15, 16, 17, 33, 1000, 4099]) {
      const k1s = Float64Array.from({ length: n }, () => [random(50) - 25 + (random(3) ? 0 : 0.5), -0, 2 ** 52 + random(9), -1e300, 1e-300, random(2 ** 30) * 2 ** 21 + random(2 ** 21)][random(6)]!);
      const k2s = Float64Array.from({ length: n }, (_, i) => (n % 2 ? random(4) - 2 : i));
      const identity = () => Uint32Array.from({ length: n }, (_, i) => i);
      const expected = identity().sort((a, b) => k1s[a]! - k1s[b]! || k2s[a]! - k2s[b]! || a - b);
      expect([...sortIndex(identity(), k1s, k2s)]).toEqual([...expected]);
    }
    // 0 and -0 are equal keys: index order.
    expect([...sortIndex(Uint32Array.of(0, 1, 2, 3), Float64Array.of(0, -0, 0, -0), Float64Array.of(1, 1, 0, 0))]).toEqual([2, 3, 0, 1]);
  });
});
