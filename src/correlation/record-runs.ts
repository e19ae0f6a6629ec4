// A RecordSorter's runs: putting one in order, writing it in blocks, and reading it back a record at a time.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { RecordView } from './record-sort.js';

/** A record's header: [u32 payload length][f64 k1][f64 k2]. */
export const RECORD_HEADER = 20;

// Slices put in order by insertion before they are merged.
const SMALL = 16;

/**
 * Puts `order` (indices, ascending) in (k1, k2) order, equal keys in index order: a merge sort over typed
 * arrays. TypedArray sort with a comparator calls it through a closure per comparison, and took over a second
 * of a 1M-line run's main thread on the (hash-ordered) key records.
 */
export function sortIndex(order: Uint32Array, k1s: Float64Array, k2s: Float64Array): Uint32Array {
  const n = order.length;
  for (let lo = 0; lo < n; lo += SMALL) {
    const hi = Math.min(lo + SMALL, n);
    for (let i = lo + 1; i < hi; i++) {
      const x = order[i]!;
      const xk1 = k1s[x]!;
      const xk2 = k2s[x]!;
      let j = i - 1;
      for (; j >= lo; j--) {
        const y = order[j]!;
        const yk1 = k1s[y]!;
        if (yk1 < xk1 || (yk1 === xk1 && k2s[y]! <= xk2)) break;
        order[j + 1] = y;
      }
      order[j + 1] = x;
    }
  }
  let from: Uint32Array = order;
  let to: Uint32Array = new Uint32Array(n);
  for (let width = SMALL; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const a = from[i]!;
        const b = from[j]!;
        const ak1 = k1s[a]!;
        const bk1 = k1s[b]!;
        // The right one first only when it is less: equal keys keep their order.
        if (bk1 < ak1 || (bk1 === ak1 && k2s[b]! < k2s[a]!)) {
          to[k++] = b;
          j++;
        } else {
          to[k++] = a;
          i++;
        }
      }
      while (i < mid) to[k++] = from[i++]!;
      while (j < hi) to[k++] = from[j++]!;
    }
    const swap = from;
    from = to;
    to = swap;
  }
  return from;
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
