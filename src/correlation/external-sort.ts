// Sorting more items than memory should hold: sorted chunks spill to temporary JSON-lines files and are
// merged back with a heap. Below one chunk nothing touches the disk.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export class ExternalSorter<T> {
  private buffer: T[] = [];
  private readonly chunks: string[] = [];
  private dir?: string;
  count = 0;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly chunkSize: number,
  ) {}

  async add(item: T): Promise<void> {
    this.buffer.push(item);
    this.count++;
    if (this.buffer.length >= this.chunkSize) await this.spill();
  }

  private async spill(): Promise<void> {
    // Take the chunk synchronously: adds that arrive while it is written go to a fresh buffer.
    const items = this.buffer;
    this.buffer = [];
    items.sort(this.compare);
    this.dir ??= mkdtempSync(join(tmpdir(), 'taser-sort-'));
    const path = join(this.dir, `chunk-${this.chunks.length}.jsonl`);
    this.chunks.push(path);
    const out = createWriteStream(path);
    for (const item of items) {
      if (!out.write(`${JSON.stringify(item)}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }

  /** The items in order; the sorter is spent afterwards (its files are removed). */
  async *sorted(): AsyncGenerator<T> {
    try {
      if (this.chunks.length === 0) {
        this.buffer.sort(this.compare);
        yield* this.buffer;
        return;
      }
      if (this.buffer.length) await this.spill();
      const readers = this.chunks.map((path) => createInterface({ input: createReadStream(path), crlfDelay: Infinity })[Symbol.asyncIterator]());
      const heap: { item: T; from: number }[] = [];
      const push = (entry: { item: T; from: number }) => {
        heap.push(entry);
        let i = heap.length - 1;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if (this.compare(heap[i]!.item, heap[parent]!.item) >= 0) break;
          [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
          i = parent;
        }
      };
      const pop = () => {
        const top = heap[0]!;
        const last = heap.pop()!;
        if (heap.length) {
          heap[0] = last;
          let i = 0;
          for (;;) {
            const l = 2 * i + 1;
            const r = l + 1;
            let m = i;
            if (l < heap.length && this.compare(heap[l]!.item, heap[m]!.item) < 0) m = l;
            if (r < heap.length && this.compare(heap[r]!.item, heap[m]!.item) < 0) m = r;
            if (m === i) break;
            [heap[i], heap[m]] = [heap[m]!, heap[i]!];
            i = m;
          }
        }
        return top;
      };
      for (let from = 0; from < readers.length; from++) {
        const next = await readers[from]!.next();
        if (!next.done) push({ item: JSON.parse(next.value) as T, from });
      }
      while (heap.length) {
        const { item, from } = pop();
        yield item;
        const next = await readers[from]!.next();
        if (!next.done) push({ item: JSON.parse(next.value) as T, from });
      }
    } finally {
      this.buffer = [];
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
