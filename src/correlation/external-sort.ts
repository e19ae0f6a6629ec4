// Sorting more items than memory should hold: items are kept as lines of text, a run is sorted and spilled to
// a temporary file once it holds `maxBytes` of text (or `maxItems` items), and the runs are merged back with a
// heap. Below one run nothing touches the disk. Synchronous: the simulator is a batch job, and a sync read or
// write of a large block costs less than the promises around an async one.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineReader } from './lines.js';

export interface SortFormat<T> {
  compare(a: T, b: T): number;
  /** The item as one line of text without line breaks; its length is what counts against maxBytes. */
  line(item: T): string;
  /** The item back from its line. */
  parse(line: string): T;
}

export interface SortLimits {
  /** Text held in memory before a run spills (default 8 MiB of characters). */
  maxBytes?: number;
  /** Items held in memory before a run spills (default: no limit; tests use small numbers to force spills). */
  maxItems?: number;
}

const WRITE_BLOCK = 1 << 20;

export class ExternalSorter<T> {
  private items: T[] = [];
  private lines: string[] = [];
  private bytes = 0;
  private readonly runs: string[] = [];
  private dir?: string;
  private readonly maxBytes: number;
  private readonly maxItems: number;
  count = 0;

  constructor(
    private readonly format: SortFormat<T>,
    limits: SortLimits = {},
  ) {
    this.maxBytes = limits.maxBytes ?? 8 << 20;
    this.maxItems = limits.maxItems ?? Infinity;
  }

  /** Adds an item; `line` is its text when the caller has it already. */
  add(item: T, line = this.format.line(item)): void {
    this.items.push(item);
    this.lines.push(line);
    this.bytes += line.length + 16;
    this.count++;
    if (this.bytes >= this.maxBytes || this.items.length >= this.maxItems) this.spill();
  }

  /** The in-memory run's lines in item order (a stable sort: equal items keep their order of arrival). */
  private sortedRun(): { items: T[]; lines: string[] } {
    const { items, lines } = this;
    const order = Array.from({ length: items.length }, (_, i) => i);
    order.sort((a, b) => this.format.compare(items[a]!, items[b]!) || a - b);
    return { items: order.map((i) => items[i]!), lines: order.map((i) => lines[i]!) };
  }

  private spill(): void {
    const { lines } = this.sortedRun();
    this.items = [];
    this.lines = [];
    this.bytes = 0;
    this.dir ??= mkdtempSync(join(tmpdir(), 'taser-sort-'));
    const path = join(this.dir, `run-${this.runs.length}.txt`);
    this.runs.push(path);
    const fd = openSync(path, 'w');
    try {
      let block: string[] = [];
      let size = 0;
      for (const line of lines) {
        block.push(line);
        size += line.length + 1;
        if (size >= WRITE_BLOCK) {
          writeSync(fd, `${block.join('\n')}\n`);
          block = [];
          size = 0;
        }
      }
      if (block.length) writeSync(fd, `${block.join('\n')}\n`);
    } finally {
      closeSync(fd);
    }
  }

  /** The items in order; the sorter is spent afterwards (its files are removed). */
  *sorted(): Generator<T> {
    const readers: LineReader[] = [];
    try {
      if (this.runs.length === 0) {
        const { items } = this.sortedRun();
        this.items = [];
        this.lines = [];
        yield* items;
        return;
      }
      if (this.items.length) this.spill();
      const { compare, parse } = this.format;
      // Runs are spilled in arrival order, so among equal items the lower run index came first.
      const heap: { item: T; from: number }[] = [];
      const less = (a: { item: T; from: number }, b: { item: T; from: number }) => {
        const c = compare(a.item, b.item);
        return c < 0 || (c === 0 && a.from < b.from);
      };
      const push = (entry: { item: T; from: number }) => {
        heap.push(entry);
        let i = heap.length - 1;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if (!less(heap[i]!, heap[parent]!)) break;
          [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
          i = parent;
        }
      };
      const siftDown = () => {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      };
      for (let from = 0; from < this.runs.length; from++) {
        const reader = new LineReader(this.runs[from]!, 1 << 16);
        readers.push(reader);
        const line = reader.next();
        if (line !== undefined) push({ item: parse(line), from });
      }
      while (heap.length) {
        const top = heap[0]!;
        yield top.item;
        const line = readers[top.from]!.next();
        if (line !== undefined) {
          heap[0] = { item: parse(line), from: top.from };
        } else {
          const last = heap.pop()!;
          if (!heap.length) break;
          heap[0] = last;
        }
        siftDown();
      }
    } finally {
      for (const r of readers) r.close();
      this.items = [];
      this.lines = [];
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
