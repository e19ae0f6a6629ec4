import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExternalSorter } from './external-sort.js';
import { prng } from '../../test/correlation/helpers.js';

/** The sorter's temporary folder (private), to check it is gone afterwards. */
const dirOf = (sorter: ExternalSorter<unknown>) => (sorter as unknown as { dir?: string }).dir;

describe('ExternalSorter', () => {
  it('sorts like Array.sort, in memory and across spilled chunks, and removes its files', async () => {
    const random = prng(11);
    const items = Array.from({ length: 1000 }, (_, i) => ({ key: Math.floor(random() * 50), n: i }));
    const compare = (a: { key: number; n: number }, b: { key: number; n: number }) => a.key - b.key || a.n - b.n;
    const expected = [...items].sort(compare);
    for (const chunkSize of [1, 3, 64, 999, 1000, 5000]) {
      const sorter = new ExternalSorter(compare, chunkSize);
      for (const item of items) await sorter.add(item);
      const out = [];
      for await (const item of sorter.sorted()) out.push(item);
      expect(out, `chunkSize ${chunkSize}`).toEqual(expected);
      const dir = dirOf(sorter as ExternalSorter<unknown>);
      if (chunkSize < items.length) expect(dir).toBeDefined(); // it did spill
      if (dir) expect(existsSync(dir)).toBe(false);
    }
  });

  it('gives nothing for no items', async () => {
    const sorter = new ExternalSorter<number>((a, b) => a - b, 2);
    const out: number[] = [];
    for await (const item of sorter.sorted()) out.push(item);
    expect(out).toEqual([]);
  });
});
