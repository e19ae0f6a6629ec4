// An external sort of small binary records by two numbers (k1, then k2), for the simulator's millions of
// lines: records are written straight into one byte arena, never held as objects; a full arena is sorted by
// an index and spilled to a temporary file as one block of bytes, and the runs are merged back with a heap
// of readers. Memory is the arena plus its index, bounded by bytes (`maxBytes`), whatever the number of
// records. Records that arrive already in order (a file exported in event-time order) are neither sorted nor
// merged: runs are written as they are and read back one after the other.
//
// On disk and in the arena a record is [u32 payload length][f64 k1][f64 k2][payload]. Synchronous, like
// the rest of the simulator: a batch job, where a sync read or write of a large block is the cheapest.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { siftDown, siftUp } from './heap.js';
import { makeSortDir, removeSortDir } from './sort-dirs.js';
import { RECORD_HEADER, RecordBuffer, RunReader, SortScratch, sortIndex, writeAll, type RecordSink, type RecordView } from './record-runs.js';
import { grown } from './grown.js';

export { RecordBuffer, type RecordSink, type RecordView };

export { RECORD_HEADER };

/** Bytes of index per record held in memory (k1, k2, offset). */
const INDEX_BYTES = 20;
const READ_BLOCK = 1 << 20;
// The merge's read blocks in all: they are held while the simulator replays, beside the engine, so fewer
// than the arena's bytes (a larger block saves a few system calls, nothing more). Merging many runs (a
// 10M-line file makes hundreds) takes small blocks each, so the readers stay within the budget.
const MERGE_READ_BYTES = 2 << 20;
const MIN_READ_BLOCK = 1 << 14;

export interface RecordSortLimits {
  /** Bytes of records and index held in memory before a run spills (default 8 MiB). */
  maxBytes?: number;
  /** Records held in memory before a run spills (default: no limit; tests force spills with small numbers). */
  maxItems?: number;
  /** Runs go in this folder, made and removed by its owner (a parse worker's key runs go in the simulator's), named from `prefix`. */
  dir?: string;
  prefix?: string;
}

export class RecordSorter implements RecordSink {
  /** The arena: write a payload at the offset `begin` returns, then `commit`. */
  buf: Buffer;
  private used = 0;
  private count = 0;
  private k1s: Float64Array;
  private k2s: Float64Array;
  private offsets: Uint32Array;
  private readonly maxBytes: number;
  private readonly maxItems: number;
  private readonly runs: string[] = [];
  private dir?: string;
  private readonly ownsDir: boolean;
  private readonly prefix: string;
  private pending = -1;
  /** The block a run is gathered in when it spills out of order (kept: garbage blocks only a full GC frees). */
  private out?: Buffer;
  /** The sort's working arrays, kept from run to run. */
  private scratch = new SortScratch();
  /** Every record so far came in order: no sort, no merge. `runInOrder`: the same within the run in memory. */
  private inOrder = true;
  private runInOrder = true;
  private lastK1 = -Infinity;
  private lastK2 = -Infinity;
  /** While every record came in order and none waits in the arena: the run file blocks of records are appended to as they come (no copy, no index), else -1. */
  private direct = -1;
  /** Records added in all. */
  total = 0;
  /** Runs spilled to disk in all. */
  spilled = 0;

  constructor(limits: RecordSortLimits = {}) {
    this.maxBytes = Math.max(limits.maxBytes ?? 8 << 20, 4096);
    this.maxItems = limits.maxItems ?? Infinity;
    this.dir = limits.dir;
    this.ownsDir = !limits.dir;
    this.prefix = limits.prefix ?? '';
    // The arena comes with the first record: a sort that takes none (the simulator's key sort, when the parse
    // workers sort the keys) holds none.
    this.buf = Buffer.alloc(0);
    const slots = 1024;
    this.k1s = new Float64Array(slots);
    this.k2s = new Float64Array(slots);
    this.offsets = new Uint32Array(slots);
  }

  /** Every record added so far came in key order (the simulator replays such a file as it is read). */
  get ordered(): boolean {
    return this.inOrder;
  }

  /** Starts a record with its keys; returns where its payload (at most `maxPayload` bytes) goes in `buf`. */
  begin(k1: number, k2: number, maxPayload: number): number {
    const need = RECORD_HEADER + maxPayload;
    if (this.direct !== -1) this.closeDirect();
    if (this.count > 0 && (this.used + need > this.buf.length || this.used + need + (this.count + 1) * INDEX_BYTES > this.maxBytes)) this.spill();
    // The first record, or one larger than the arena (a huge line: an arena of its own size).
    if (need > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(need, Math.floor(this.maxBytes / 2)));
    if (this.count === this.k1s.length) this.growIndex();
    const at = this.used;
    this.buf.writeDoubleLE(k1, at + 4);
    this.buf.writeDoubleLE(k2, at + 12);
    this.k1s[this.count] = k1;
    this.k2s[this.count] = k2;
    this.offsets[this.count] = at;
    if (k1 < this.lastK1 || (k1 === this.lastK1 && k2 < this.lastK2)) this.inOrder = this.runInOrder = false;
    this.lastK1 = k1;
    this.lastK2 = k2;
    this.pending = at;
    return at + RECORD_HEADER;
  }

  /** Ends the record begun last: its payload ends at `end`. */
  commit(end: number): void {
    const at = this.pending;
    this.buf.writeUInt32LE(end - at - RECORD_HEADER, at);
    this.used = end;
    this.count++;
    this.total++;
    if (this.count >= this.maxItems) this.spill();
  }

  /**
   * Adds every record of `records` (as a RecordBuffer wrote them), with `k2Offset` added to each k2 (a chunk's
   * line numbers become the file's); `patch` may rewrite a payload once it is in the arena (at buf[start...]).
   */
  addRecords(records: Uint8Array, k2Offset: number, patch?: (buf: Buffer, start: number) => void): void {
    const from = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    let at = 0;
    if (this.inOrder && this.count === 0 && k2Offset === 0 && !patch && this.maxItems === Infinity) at = this.appendInOrder(from);
    if (at < from.length && this.direct !== -1) this.closeDirect();
    while (at < from.length) {
      // As many records as fit the arena and the budget as they are: one copy, then each is indexed in place.
      let end = at;
      let n = 0;
      let used = this.used;
      while (end < from.length && this.count + n < this.maxItems) {
        const size = RECORD_HEADER + from.readUInt32LE(end);
        if (used + size > this.buf.length || used + size + (this.count + n + 1) * INDEX_BYTES > this.maxBytes) break;
        used += size;
        end += size;
        n++;
      }
      if (n === 0) {
        // Spills first, or a record larger than the arena: one at a time.
        const size = from.readUInt32LE(at);
        const start = this.begin(from.readDoubleLE(at + 4), from.readDoubleLE(at + 12) + k2Offset, size);
        from.copy(this.buf, start, at + RECORD_HEADER, at + RECORD_HEADER + size);
        patch?.(this.buf, start);
        this.commit(start + size);
        at += RECORD_HEADER + size;
        continue;
      }
      while (this.count + n > this.k1s.length) this.growIndex();
      const buf = this.buf;
      from.copy(buf, this.used, at, end);
      let offset = this.used;
      let { lastK1, lastK2 } = this;
      for (let i = this.count; i < this.count + n; i++) {
        const k1 = buf.readDoubleLE(offset + 4);
        let k2 = buf.readDoubleLE(offset + 12);
        if (k2Offset !== 0) buf.writeDoubleLE((k2 += k2Offset), offset + 12);
        this.k1s[i] = k1;
        this.k2s[i] = k2;
        this.offsets[i] = offset;
        if (k1 < lastK1 || (k1 === lastK1 && k2 < lastK2)) this.inOrder = this.runInOrder = false;
        lastK1 = k1;
        lastK2 = k2;
        patch?.(buf, offset + RECORD_HEADER);
        offset += RECORD_HEADER + buf.readUInt32LE(offset);
      }
      this.lastK1 = lastK1;
      this.lastK2 = lastK2;
      this.used = offset;
      this.count += n;
      this.total += n;
      at = end;
      if (this.count >= this.maxItems) this.spill();
    }
  }

  /**
   * Appends the leading records of `from` that keep the order (all of them, for a file in order) to the
   * direct run as they are; returns where the first that does not starts.
   */
  private appendInOrder(from: Buffer): number {
    let { lastK1, lastK2 } = this;
    let at = 0;
    let n = 0;
    while (at < from.length) {
      const k1 = from.readDoubleLE(at + 4);
      const k2 = from.readDoubleLE(at + 12);
      if (k1 < lastK1 || (k1 === lastK1 && k2 < lastK2)) break;
      lastK1 = k1;
      lastK2 = k2;
      n++;
      at += RECORD_HEADER + from.readUInt32LE(at);
    }
    if (n === 0) return 0;
    if (this.direct === -1) this.direct = openSync(this.nextRun(), 'w');
    writeAll(this.direct, from, 0, at);
    this.lastK1 = lastK1;
    this.lastK2 = lastK2;
    this.total += n;
    return at;
  }

  private closeDirect(): void {
    closeSync(this.direct);
    this.direct = -1;
  }

  /** The path of a new run, counted as spilled. */
  private nextRun(): string {
    const path = join(this.runDir(), `${this.prefix}run-${this.runs.length}.bin`);
    this.runs.push(path);
    this.spilled++;
    return path;
  }

  /** The folder the runs go in (made now if it is this sorter's own). */
  runDir(): string {
    return (this.dir ??= makeSortDir());
  }

  /** Spills what is in memory and hands every run over (to another sorter's `adoptRuns`): this one is left empty. */
  takeRuns(): string[] {
    if (this.direct !== -1) this.closeDirect();
    if (this.count) this.spill();
    this.release();
    return this.runs.splice(0);
  }

  /** Runs another sorter of the same records spilled (takeRuns), in this one's folder: merged with its own. */
  adoptRuns(runs: readonly string[]): void {
    this.runs.push(...runs);
    this.spilled += runs.length;
    if (runs.length) this.inOrder = false;
  }

  private release(): void {
    this.buf = Buffer.alloc(0);
    this.out = undefined;
    this.k1s = this.k2s = new Float64Array(0);
    this.offsets = new Uint32Array(0);
    this.scratch = new SortScratch();
  }

  private growIndex(): void {
    this.k1s = grown(this.k1s, 1024);
    this.k2s = grown(this.k2s, 1024);
    this.offsets = grown(this.offsets, 1024);
  }

  /** Indices of the records in memory, in key order (arrival order breaks ties: stable). */
  private order(): Uint32Array | undefined {
    if (this.runInOrder) return undefined;
    const order = this.scratch.take(6, this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return sortIndex(order, this.k1s, this.k2s, this.scratch);
  }

  private spill(): void {
    const fd = openSync(this.nextRun(), 'w');
    try {
      const order = this.order();
      if (!order) writeAll(fd, this.buf, 0, this.used);
      else {
        // Gathered in key order into blocks, so a run is a few large writes.
        const out = (this.out ??= Buffer.allocUnsafe(Math.min(READ_BLOCK, this.buf.length)));
        let filled = 0;
        for (let i = 0; i < order.length; i++) {
          const at = this.offsets[order[i]!]!;
          const size = RECORD_HEADER + this.buf.readUInt32LE(at);
          if (filled + size > out.length) {
            writeAll(fd, out, 0, filled);
            filled = 0;
          }
          if (size > out.length) writeAll(fd, this.buf, at, size);
          else filled += this.buf.copy(out, filled, at, at + size);
        }
        writeAll(fd, out, 0, filled);
      }
    } finally {
      closeSync(fd);
    }
    this.used = 0;
    this.count = 0;
    this.runInOrder = true;
  }

  /** Calls `fn` with every record in key order; the sorter is spent afterwards (its files are removed). */
  drain(fn: (record: RecordView) => void): void {
    for (const record of this.records()) fn(record);
  }

  /** The records in key order, one view reused for all; the sorter is spent once it is read to the end or closed. */
  *records(): Generator<RecordView> {
    const view: RecordView = { buf: this.buf, start: 0, end: 0, k1: 0, k2: 0 };
    const readers: RunReader[] = [];
    if (this.direct !== -1) this.closeDirect();
    try {
      if (this.runs.length === 0) {
        const order = this.order();
        for (let i = 0; i < this.count; i++) {
          const at = this.offsets[order ? order[i]! : i]!;
          view.k1 = this.k1s[order ? order[i]! : i]!;
          view.k2 = this.k2s[order ? order[i]! : i]!;
          view.start = at + RECORD_HEADER;
          view.end = view.start + this.buf.readUInt32LE(at);
          yield view;
        }
        return;
      }
      if (this.count) this.spill();
      // The arena and its index are not needed any more: the readers' blocks take their place.
      this.release();
      if (this.inOrder) {
        // One block, read into run after run.
        const block = Buffer.allocUnsafe(READ_BLOCK);
        for (const path of this.runs) {
          const reader = new RunReader(path, block);
          readers.push(reader);
          while (reader.next()) yield reader.view;
        }
        return;
      }
      const block = Math.max(MIN_READ_BLOCK, Math.min(READ_BLOCK, Math.floor(Math.min(this.maxBytes, MERGE_READ_BYTES) / this.runs.length)));
      // A heap of readers by their current record; among equal keys the earlier run came first.
      const heap: RunReader[] = [];
      const less = (a: RunReader, b: RunReader) => a.view.k1 < b.view.k1 || (a.view.k1 === b.view.k1 && (a.view.k2 < b.view.k2 || (a.view.k2 === b.view.k2 && a.run < b.run)));
      for (let run = 0; run < this.runs.length; run++) {
        const reader = new RunReader(this.runs[run]!, Buffer.allocUnsafe(block), run);
        readers.push(reader);
        if (!reader.next()) continue;
        heap.push(reader);
        siftUp(heap, less);
      }
      while (heap.length) {
        const top = heap[0]!;
        yield top.view;
        if (!top.next()) {
          const last = heap.pop()!;
          if (!heap.length) break;
          heap[0] = last;
        }
        siftDown(heap, less);
      }
    } finally {
      for (const reader of readers) reader.close();
      this.discard();
    }
  }

  /** Drops every record and removes the spilled runs (after a drain, or when the input turned out bad). */
  discard(): void {
    this.count = 0;
    this.used = 0;
    this.runs.length = 0;
    if (this.direct !== -1) this.closeDirect();
    if (this.dir && this.ownsDir) removeSortDir(this.dir);
    if (this.ownsDir) this.dir = undefined;
  }
}

