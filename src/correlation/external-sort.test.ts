import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExternalSorter, type SortFormat } from './external-sort.js';
import { prng } from '../../test/correlation/helpers.js';

/** The sorter's temporary folder (private), to check it is gone afterwards. */
const dirOf = (sorter: ExternalSorter<unknown>) => (sorter as unknown as { dir?: string }).dir;

interface Item {
  key: number;
  n: number;
  text: string;
}

const format: SortFormat<Item> = {
  compare: (a, b) => a.key - b.key,
  line: (item) => JSON.stringify(item),
  parse: (line) => JSON.parse(line) as Item,
  size: (item) => item.text.length + 40,
};

describe('ExternalSorter', () => {
  const random = prng(11);
  // Text with line-breaking and multi-byte characters, which the runs on disk must carry through.
  const items: Item[] = Array.from({ length: 1000 }, (_, i) => ({ key: Math.floor(random() * 50), n: i, text: ['a', 'é\n', '\r\n', '𝄞', 'tab\t'][i % 5]! }));
  // Equal keys stay in the order they were added (the simulator relies on it for input order).
  const expected = [...items].sort((a, b) => a.key - b.key || a.n - b.n);

  it('sorts stably, in memory and across spilled runs (by item count), and removes its files', () => {
    for (const maxItems of [1, 3, 64, 999, 1000, 5000]) {
      const sorter = new ExternalSorter(format, { maxItems });
      for (const item of items) sorter.add(item);
      expect([...sorter.sorted()], `maxItems ${maxItems}`).toEqual(expected);
      const dir = dirOf(sorter as ExternalSorter<unknown>);
      if (maxItems < items.length) expect(dir).toBeDefined(); // it did spill
      if (dir) expect(existsSync(dir)).toBe(false);
    }
  });

  it('spills by the bytes held, not by a number of items', () => {
    const sorter = new ExternalSorter(format, { maxBytes: 4096 });
    for (const item of items) sorter.add(item);
    const runs = (sorter as unknown as { runs: string[] }).runs.length;
    expect(runs).toBeGreaterThan(5);
    expect([...sorter.sorted()]).toEqual(expected);
  });

  it('reads items that came in order back run after run, and still sorts when order breaks after a spill', () => {
    const ordered = expected.map((item) => ({ ...item }));
    // Ordered at first (runs spill unsorted, as they are), then out of order: the runs are merged after all.
    const broken = [...ordered.slice(0, 600), ...items.slice(600)];
    for (const input of [ordered, broken]) {
      const sorter = new ExternalSorter(format, { maxItems: 64 });
      for (const item of input) sorter.add(item);
      expect([...sorter.sorted()]).toEqual([...input].sort((a, b) => a.key - b.key));
      expect((sorter as unknown as { inOrder: boolean }).inOrder).toBe(input === ordered);
    }
  });

  it('gives nothing for no items', () => {
    const sorter = new ExternalSorter<number>({ compare: (a, b) => a - b, line: String, parse: Number, size: () => 8 }, { maxItems: 2 });
    expect([...sorter.sorted()]).toEqual([]);
  });
});
