// The signal ids of the simulator's open alerts, kept outside the engine (its `holdIds: false`): an alert that
// a steady stream keeps alive holds ever more ids, so held in memory they grow with the file. Here they are
// written as they come into one byte arena (no string kept per id: nothing for the garbage collector to
// promote), each linked to its alert's entry before it. When the arena is full, every open alert's ids so far
// are appended to a spill file as one part (a JSON fragment, `"a","b"`) linking to the alert's part before it,
// and the arena starts over. An alert that closes before it spilled gives its ids straight back; one that
// spilled gives the offset of its last part, and its ids are read back, part by part, when the output is
// written. Memory is the arena, whatever the number of lines: per spilled alert only its last part's offset,
// in its own (sorted) output item.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeSortDir, removeSortDir } from './sort-dirs.js';

/**
 * The open alerts of one rule, by the group slot the engine reports: typed arrays (a rule has thousands of
 * slots; as JS arrays they would be garbage-collected heap, twice the size, and copied as they grow).
 */
class RuleIds {
  /** Offset of the slot's latest entry in the arena, or -1. */
  head = new Int32Array(0);
  /** Offset of the slot's last spilled part, or -1. */
  last = new Float64Array(0);
  /** Ids of the slot's alert. */
  count = new Int32Array(0);
  /** Slots used so far: [0, slots) of the arrays. */
  slots = 0;

  /** Makes room for `slot`; its entries are set by the caller. */
  use(slot: number): void {
    if (slot >= this.head.length) {
      const size = Math.max(64, slot + 1, 2 * this.head.length);
      const head = new Int32Array(size).fill(-1);
      const last = new Float64Array(size).fill(-1);
      const count = new Int32Array(size);
      head.set(this.head);
      last.set(this.last);
      count.set(this.count);
      this.head = head;
      this.last = last;
      this.count = count;
    }
    if (slot >= this.slots) this.slots = slot + 1;
  }
}

/** What a closed alert's ids are: inline (`part` -1, `json` the fragment) or spilled (`part` the last part's offset). */
export interface ClosedIds {
  count: number;
  json: string;
  part: number;
}

// An arena entry: [i32 offset of the alert's entry before it, or -1][u32 byte length][the id as a JSON string,
// UTF-8]: spilling copies bytes, and no id is turned back into a string before the output.
const ENTRY_HEADER = 8;
// A part on disk: [u32 byte length][f64 offset of the alert's part before it, or -1][UTF-8 fragment].
const PART_HEADER = 12;
const WRITE_BLOCK = 1 << 18;
// Bytes read at a part's offset: most parts (the ids an alert gained between two spills) fit.
const PART_WINDOW = 1 << 12;
// A spill file up to this size is read back whole, once: at 1M lines about 15 MB against about 280,000
// reads of one part each (5% of the simulator's thread). The engine's tables are gone by the output, so
// this stays well below the replay's peak; a larger file is read part by part (memory flat).
const READ_WHOLE = 32 << 20;

export class HeldIds {
  private readonly rules: RuleIds[] = [];
  private arena: Buffer;
  private used = 0;
  private dir?: string;
  private fd?: number;
  /** Bytes in the spill file (written and buffered). */
  private size = 0;
  private block = Buffer.alloc(0);
  private filled = 0;
  /** The whole spill file, once read back (up to READ_WHOLE bytes). */
  private whole?: Buffer;
  /** Spills so far (tests). */
  spills = 0;

  /** `maxBytes`: the arena the ids not yet spilled are written in; `readWhole`: the largest spill file read back whole. */
  constructor(
    private readonly maxBytes = 2 << 20,
    private readonly readWhole = READ_WHOLE,
  ) {
    // Grown up to maxBytes as ids come (a small file's run allocates little).
    this.arena = Buffer.allocUnsafe(Math.min(maxBytes, 1 << 16));
  }

  /** An alert opened in `slot` of rule `r` with `ids`. */
  opened(r: number, slot: number, ids: readonly string[]): void {
    const rule = (this.rules[r] ??= new RuleIds());
    rule.use(slot);
    rule.head[slot] = -1;
    rule.last[slot] = -1;
    rule.count[slot] = 0;
    for (const id of ids) this.appended(r, slot, id);
  }

  appended(r: number, slot: number, id: string): void {
    const most = ENTRY_HEADER + 6 * id.length + 2;
    if (this.used + most > this.arena.length) {
      if (this.arena.length < this.maxBytes) {
        const grown = Buffer.allocUnsafe(Math.max(Math.min(2 * this.arena.length, this.maxBytes), this.used + most));
        this.arena.copy(grown, 0, 0, this.used);
        this.arena = grown;
      } else {
        if (this.used > 0) this.spill();
        if (most > this.arena.length) this.arena = Buffer.allocUnsafe(most);
      }
    }
    const rule = this.rules[r]!;
    const arena = this.arena;
    const at = this.used;
    arena.writeInt32LE(rule.head[slot]!, at);
    const length = writeJsonString(arena, at + ENTRY_HEADER, id);
    arena.writeUInt32LE(length, at + 4);
    rule.head[slot] = at;
    rule.count[slot]!++;
    this.used = at + ENTRY_HEADER + length;
  }

  private entries = new Int32Array(64);

  /**
   * Copies the slot's ids in the arena, in order (its entries are linked newest first), as a JSON fragment
   * into `out` at `to`; returns the end, or -1 when `out` is too small.
   */
  private pending(rule: RuleIds, slot: number, out: Buffer, to: number): number {
    const arena = this.arena;
    let n = 0;
    let bytes = 0;
    for (let at = rule.head[slot]!; at !== -1; at = arena.readInt32LE(at)) {
      if (n === this.entries.length) {
        const grown = new Int32Array(2 * n);
        grown.set(this.entries);
        this.entries = grown;
      }
      this.entries[n++] = at;
      bytes += arena.readUInt32LE(at + 4) + 1;
    }
    if (to + bytes > out.length) return -1;
    for (let i = n - 1; i >= 0; i--) {
      const at = this.entries[i]!;
      const end = at + ENTRY_HEADER + arena.readUInt32LE(at + 4);
      for (let j = at + ENTRY_HEADER; j < end; j++) out[to++] = arena[j]!;
      if (i > 0) out[to++] = 44; // ,
    }
    return to;
  }

  /** The slot's ids in the arena as a JSON fragment string. */
  private pendingJson(rule: RuleIds, slot: number): string {
    let scratch = this.scratch;
    let end = this.pending(rule, slot, scratch, 0);
    while (end === -1) {
      scratch = this.scratch = Buffer.allocUnsafe(2 * scratch.length);
      end = this.pending(rule, slot, scratch, 0);
    }
    return scratch.toString('utf8', 0, end);
  }

  private scratch = Buffer.allocUnsafe(PART_WINDOW);

  /** The alert in `slot` of rule `r` closed: its ids, or where they were spilled (the rest is spilled too). */
  closed(r: number, slot: number): ClosedIds {
    const rule = this.rules[r]!;
    const count = rule.count[slot]!;
    const inArena = rule.head[slot] !== -1;
    if (rule.last[slot] === -1) {
      const json = inArena ? this.pendingJson(rule, slot) : '';
      rule.head[slot] = -1;
      return { count, json, part: -1 };
    }
    const part = inArena ? this.writePart(rule, slot) : rule.last[slot]!;
    rule.head[slot] = -1;
    return { count, json: '', part };
  }

  /** Every open alert's ids in the arena go to the spill file, one part each; the arena starts over. */
  private spill(): void {
    this.spills++;
    for (const rule of this.rules) {
      if (!rule) continue;
      const { head, last } = rule;
      for (let slot = 0; slot < rule.slots; slot++) {
        if (head[slot] === -1) continue;
        last[slot] = this.writePart(rule, slot);
        head[slot] = -1;
      }
    }
    this.used = 0;
  }

  /** Appends the slot's ids in the arena as a part linked to its last one; returns the part's offset. */
  private writePart(rule: RuleIds, slot: number): number {
    if (this.fd === undefined) {
      this.dir = makeSortDir();
      this.fd = openSync(join(this.dir, 'held-ids.bin'), 'w+');
      this.block = Buffer.allocUnsafe(WRITE_BLOCK);
    }
    let end = this.pending(rule, slot, this.block, this.filled + PART_HEADER);
    if (end === -1) {
      this.flush();
      end = this.pending(rule, slot, this.block, PART_HEADER);
      while (end === -1) {
        this.block = Buffer.allocUnsafe(2 * this.block.length);
        end = this.pending(rule, slot, this.block, PART_HEADER);
      }
    }
    const at = this.size;
    const length = end - this.filled - PART_HEADER;
    this.block.writeUInt32LE(length, this.filled);
    this.block.writeDoubleLE(rule.last[slot]!, this.filled + 4);
    this.filled += PART_HEADER + length;
    this.size += PART_HEADER + length;
    return at;
  }

  private flush(): void {
    for (let at = 0; at < this.filled; ) at += writeSync(this.fd!, this.block, at, this.filled - at);
    this.filled = 0;
  }

  /**
   * The ids fragment of an alert that spilled, from the offset of its last part (after the replay). Alerts in
   * output order read their parts all over the file: each part is one read of a small window at its offset
   * (two for a long one), from the page cache, rather than a block per part through a cache of our own.
   */
  read(part: number): string {
    if (this.filled) this.flush();
    // Read whole once (again if parts were written since: the file only grows).
    if (this.size <= this.readWhole && this.whole?.length !== this.size) {
      this.whole = Buffer.allocUnsafe(this.size);
      readAt(this.fd!, this.whole, 0, this.size, 0);
    }
    const whole = this.size <= this.readWhole ? this.whole : undefined;
    const parts: string[] = [];
    for (let at = part; at !== -1; ) {
      if (whole) {
        parts.push(whole.toString('utf8', at + PART_HEADER, at + PART_HEADER + whole.readUInt32LE(at)));
        at = whole.readDoubleLE(at + 4);
        continue;
      }
      let buf = this.scratch;
      const got = readAt(this.fd!, buf, 0, Math.min(PART_WINDOW, this.size - at), at);
      const end = PART_HEADER + buf.readUInt32LE(0);
      if (end > got) {
        if (buf.length < end) {
          const bigger = Buffer.allocUnsafe(end);
          buf.copy(bigger, 0, 0, got);
          buf = this.scratch = bigger;
        }
        readAt(this.fd!, buf, got, end - got, at + got);
      }
      parts.push(buf.toString('utf8', PART_HEADER, end));
      at = buf.readDoubleLE(4);
    }
    return parts.reverse().join(',');
  }

  /** Removes the spill file (after the output, or when the run is abandoned). */
  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.dir) removeSortDir(this.dir);
    this.dir = undefined;
    this.rules.length = 0;
    this.arena = Buffer.alloc(0);
    this.block = Buffer.alloc(0);
    this.whole = undefined;
  }
}

/** Writes `id` as JSON writes a string, in UTF-8, at buf[at...] (room for 6 bytes a character and the quotes); returns its length. */
function writeJsonString(buf: Buffer, at: number, id: string): number {
  // Printable ASCII without a quote or a backslash, by hand: most ids, and cheaper than a call into C++.
  buf[at] = 34;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) return buf.write(JSON.stringify(id), at);
    buf[at + 1 + i] = c;
  }
  buf[at + 1 + id.length] = 34;
  return id.length + 2;
}

/** Reads exactly `length` bytes at `position` into buf[offset...]; returns `length`. */
function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  for (let done = 0; done < length; ) {
    const read = readSync(fd, buf, offset + done, length - done, position + done);
    if (read === 0) throw new Error('the held ids spill file ended inside a part');
    done += read;
  }
  return length;
}
