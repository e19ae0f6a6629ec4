// Sorting more items than memory should hold: a run of items is sorted and spilled to a temporary file, one
// line of text per item, once it holds about `maxBytes` (or `maxItems` items), and the runs are merged back
// with a heap; items that arrive already in order (a file exported in event-time order) are neither sorted nor
// merged: the runs are read back one after the other. Below one run nothing touches the disk. Synchronous: the simulator is a batch job, and a sync read or
// write of a large block costs less than the promises around an async one.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { siftDown, siftUp } from './heap.js';
import { makeSortDir, removeSortDir } from './sort-dirs.js';
import { LineReader } from './lines.js';

export interface SortFormat<T> {
  compare(a: T, b: T): number;
  /** The item as one line of text without line breaks (made when a run spills). */
  line(item: T): string;
  /** About how many bytes the item takes in memory, object and strings included: what counts against maxBytes. */
  size(item: T): number;
  /** The item back from its line. */
  parse(line: string): T;
}

export interface SortLimits {
  /** Bytes of items held in memory before a run spills (default 6 MiB). */
  maxBytes?: number;
  /** Items held in memory before a run spills (default: no limit; tests use small numbers to force spills). */
  maxItems?: number;
}

const WRITE_BLOCK = 1 << 20;
const MERGE_READ_BYTES = 2 << 20;
const MIN_READ_BLOCK = 1 << 12;

export class ExternalSorter<T> {
  private items: T[] = [];
  private bytes = 0;
  private readonly runs: string[] = [];
  private dir?: string;
  private readonly maxBytes: number;
  private readonly maxItems: number;
  /** Every item so far compared >= the one before it: runs need no sort, and no merge. */
  private inOrder = true;
  private last: T | undefined;
  count = 0;

  constructor(
    private readonly format: SortFormat<T>,
    limits: SortLimits = {},
  ) {
    this.maxBytes = limits.maxBytes ?? 6 << 20;
    this.maxItems = limits.maxItems ?? Infinity;
  }

  add(item: T): void {
    if (this.inOrder && this.count > 0 && this.format.compare(this.last!, item) > 0) this.inOrder = false;
    this.last = item;
    this.items.push(item);
    this.bytes += this.format.size(item);
    this.count++;
    if (this.bytes >= this.maxBytes || this.items.length >= this.maxItems) this.spill();
  }

  /** The in-memory run in order (a stable sort: equal items keep their order of arrival). */
  private sortedRun(): T[] {
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    // Array.prototype.sort is stable.
    return this.inOrder ? items : items.sort(this.format.compare);
  }

  private spill(): void {
    const items = this.sortedRun();
    const line = this.format.line;
    this.dir ??= makeSortDir();
    const path = join(this.dir, `run-${this.runs.length}.txt`);
    this.runs.push(path);
    const fd = openSync(path, 'w');
    try {
      let block: string[] = [];
      let size = 0;
      for (const item of items) {
        const text = line(item);
        block.push(text);
        size += text.length + 1;
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
        yield* this.sortedRun();
        return;
      }
      if (this.items.length) this.spill();
      this.last = undefined;
      const { compare, parse } = this.format;
      if (this.inOrder) {
        // Each run follows the one before it: read them in turn.
        for (const path of this.runs) {
          const reader = new LineReader(path, 1 << 20);
          readers.push(reader);
          for (let line = reader.next(); line !== undefined; line = reader.next()) yield parse(line);
        }
        return;
      }
      // The readers' blocks in all stay within MERGE_READ_BYTES, however many runs a large file made.
      const block = Math.max(MIN_READ_BLOCK, Math.min(1 << 16, Math.floor(MERGE_READ_BYTES / this.runs.length)));
      // Runs are spilled in arrival order, so among equal items the lower run index came first.
      const heap: { item: T; from: number }[] = [];
      const less = (a: { item: T; from: number }, b: { item: T; from: number }) => {
        const c = compare(a.item, b.item);
        return c < 0 || (c === 0 && a.from < b.from);
      };
      for (let from = 0; from < this.runs.length; from++) {
        const reader = new LineReader(this.runs[from]!, block);
        readers.push(reader);
        const line = reader.next();
        if (line !== undefined) {
          heap.push({ item: parse(line), from });
          siftUp(heap, less);
        }
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
        siftDown(heap, less);
      }
    } finally {
      for (const r of readers) r.close();
      this.items = [];
      if (this.dir) removeSortDir(this.dir);
    }
  }
}
