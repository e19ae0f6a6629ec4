// A RecordSorter's records and runs: gathering records in a block, putting a run in order, writing it in
// blocks, and reading it back a record at a time.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** The record being read: its keys, and its payload as buf[start, end). Reused: copy what must outlive the call. */
export interface RecordView {
  buf: Buffer;
  start: number;
  end: number;
  k1: number;
  k2: number;
}

/** A record's header: [u32 payload length][f64 k1][f64 k2]. */
export const RECORD_HEADER = 20;

/** Where records are written: `begin` a record with its keys, write its payload into `buf` from the offset it returns, `commit`. */
export interface RecordSink {
  buf: Buffer;
  begin(k1: number, k2: number, maxPayload: number): number;
  commit(end: number): void;
}

/** Records gathered in one growing block, in the sorter's format: a parse worker's output for one chunk. */
export class RecordBuffer implements RecordSink {
  buf: Buffer;
  private used = 0;
  private pending = 0;

  /** `reuse`: a block an earlier chunk's records were in, taken if it is large enough. */
  constructor(size: number, reuse?: ArrayBuffer) {
    // Never from the shared pool: the block's ArrayBuffer is transferred to another thread.
    this.buf = reuse && reuse.byteLength >= size ? Buffer.from(reuse) : Buffer.allocUnsafeSlow(Math.max(size, 256));
  }

  begin(k1: number, k2: number, maxPayload: number): number {
    const need = this.used + RECORD_HEADER + maxPayload;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.buf.length));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.pending = this.used;
    this.buf.writeDoubleLE(k1, this.used + 4);
    this.buf.writeDoubleLE(k2, this.used + 12);
    return this.used + RECORD_HEADER;
  }

  commit(end: number): void {
    this.buf.writeUInt32LE(end - this.pending - RECORD_HEADER, this.pending);
    this.used = end;
  }

  /** The records written, as a view of the block (its ArrayBuffer is the block's own, to transfer). */
  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.used);
  }
}

// Radix digits of 11 bits: three to a 32-bit word, 2048 counters.
const DIGIT = 11;
const MASK = (1 << DIGIT) - 1;
// A float64 and its two 32-bit words, whatever the platform's byte order.
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * Puts `order` (the indices 0...n-1, ascending) in (k1, k2) order, equal keys in index order: a stable LSD
 * radix sort on the keys' bits, turned so they order as the numbers do (-0 as 0). TypedArray sort with a
 * comparator, and then a merge sort, took most of a second of a 1M-line run's main thread on the
 * hash-ordered key records; this takes a few milliseconds a run.
 */
export function sortIndex(order: Uint32Array, k1s: Float64Array, k2s: Float64Array, arrays = new SortScratch()): Uint32Array {
  const n = order.length;
  let ascending = true;
  for (let i = 1; i < n && ascending; i++) ascending = k2s[i]! >= k2s[i - 1]!;
  // Least significant first; k2 not at all when it already ascends with the index (a stable sort keeps that).
  const words = ascending ? sortableWords(k1s, n, arrays, 2) : [...sortableWords(k2s, n, arrays, 4), ...sortableWords(k1s, n, arrays, 2)];
  const count = arrays.take(0, 1 << DIGIT);
  let from: Uint32Array = order;
  let to: Uint32Array = arrays.take(1, n);
  for (const word of words) {
    for (let shift = 0; shift < 32; shift += DIGIT) {
      count.fill(0);
      for (let i = 0; i < n; i++) count[(word[i]! >>> shift) & MASK]!++;
      // Every key has this digit: nothing to move.
      if (n === 0 || count[(word[0]! >>> shift) & MASK] === n) continue;
      for (let d = 0, sum = 0; d < count.length; d++) {
        const c = count[d]!;
        count[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const x = from[i]!;
        to[count[(word[x]! >>> shift) & MASK]!++] = x;
      }
      const swap = from;
      from = to;
      to = swap;
    }
  }
  return from;
}

/** The keys' low and high 32 bits, turned so that unsigned order is numeric order: sign bit set for positives, all bits flipped for negatives. */
function sortableWords(keys: Float64Array, n: number, arrays: SortScratch, slot: number): [Uint32Array, Uint32Array] {
  const low = arrays.take(slot, n);
  const high = arrays.take(slot + 1, n);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    scratch[0] = k === 0 ? 0 : k;
    const l = scratchWords[LOW]!;
    const h = scratchWords[1 - LOW]!;
    if (h >= 0x80000000) {
      low[i] = ~l >>> 0;
      high[i] = ~h >>> 0;
    } else {
      low[i] = l;
      high[i] = (h | 0x80000000) >>> 0;
    }
  }
  return [low, high];
}

/**
 * A sorter's working arrays, kept from one sort to the next (grown, never shrunk): a parse worker's key sort
 * sorts a run every few chunks, and in a heap that is seldom collected, arrays dropped after each sort
 * piled up outside it. Slot 0: digit counts; 1: the index being filled; 2-5: the keys' words; 6: the index.
 */
export class SortScratch {
  private readonly arrays: Uint32Array[] = [];

  /** Slot `slot`'s array, `n` long (its contents are whatever the last sort left). */
  take(slot: number, n: number): Uint32Array {
    let array = this.arrays[slot];
    if (!array || array.length < n) array = this.arrays[slot] = new Uint32Array(Math.max(n, 2 * (array?.length ?? 0)));
    return array.length === n ? array : array.subarray(0, n);
  }
}

export function writeAll(fd: number, buf: Buffer, offset: number, length: number): void {
  while (length > 0) {
    const written = writeSync(fd, buf, offset, length);
    offset += written;
    length -= written;
  }
}

/** One spilled run, read a block at a time; `view` is its current record. */
export class RunReader {
  private fd: number | undefined;
  private buf: Buffer;
  /** Unread bytes are buf[at, filled). */
  private at = 0;
  private filled = 0;
  readonly view: RecordView;

  constructor(
    path: string,
    block: Buffer,
    readonly run = 0,
  ) {
    this.fd = openSync(path, 'r');
    this.buf = block;
    this.view = { buf: this.buf, start: 0, end: 0, k1: 0, k2: 0 };
  }

  /** Moves to the next record; false at the end of the run. */
  next(): boolean {
    if (this.filled - this.at < RECORD_HEADER && !this.fill(RECORD_HEADER)) return false;
    const size = RECORD_HEADER + this.buf.readUInt32LE(this.at);
    if (this.filled - this.at < size && !this.fill(size)) throw new Error('a sort run ended inside a record');
    const view = this.view;
    view.buf = this.buf;
    view.k1 = this.buf.readDoubleLE(this.at + 4);
    view.k2 = this.buf.readDoubleLE(this.at + 12);
    view.start = this.at + RECORD_HEADER;
    view.end = this.at + size;
    this.at += size;
    return true;
  }

  /** Reads on until `need` bytes are unread; false when the run ends first (with nothing left: its end). */
  private fill(need: number): boolean {
    const rest = this.filled - this.at;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(need);
      this.buf.copy(bigger, 0, this.at, this.filled);
      this.buf = bigger;
    } else this.buf.copyWithin(0, this.at, this.filled);
    this.at = 0;
    this.filled = rest;
    while (this.filled < need && this.fd !== undefined) {
      const read = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, null);
      if (read === 0) this.close();
      this.filled += read;
    }
    if (this.filled >= need) return true;
    if (this.filled > 0) throw new Error('a sort run ended inside a record');
    return false;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
