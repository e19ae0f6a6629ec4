// The signal ids of the simulator's open alerts, kept outside the engine (its `holdIds: false`): an alert that
// a steady stream keeps alive holds ever more ids, so held in memory they grow with the file. Here they are
// kept in memory up to a byte budget; past it every open alert's ids so far are appended to a spill file as
// one part (a JSON fragment, `"a","b"`), each part linking to the alert's part before it. An alert that
// closes before it spilled gives its ids straight back; one that spilled gives the offset of its last part,
// and its ids are read back, part by part, when the output is written. Memory is the budget, whatever the
// number of lines: nothing is held per spilled part but the offset in the alert's own (sorted) output item.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeSortDir, removeSortDir } from './sort-dirs.js';

/** An open alert's ids as the engine reports them to its group slot, per rule. */
interface RuleIds {
  /** Ids not yet spilled, per slot (undefined: none). */
  lists: (string[] | undefined)[];
  /** Offset of the slot's last spilled part, or -1. */
  last: number[];
  /** Ids spilled for the slot's alert. */
  spilled: number[];
}

/** What a closed alert's ids are: inline (`part` -1, `json` the fragment) or spilled (`part` the last part's offset). */
export interface ClosedIds {
  count: number;
  json: string;
  part: number;
}

// A part on disk: [u32 byte length][f64 offset of the alert's part before it, or -1][UTF-8 fragment].
const PART_HEADER = 12;
const WRITE_BLOCK = 1 << 20;
// An id's cost in memory beyond its characters: the string's header and the list's slot.
const ID_OVERHEAD = 40;

export class HeldIds {
  private readonly rules: RuleIds[] = [];
  private bytes = 0;
  private dir?: string;
  private fd?: number;
  /** Bytes in the spill file (written and buffered). */
  private size = 0;
  private block = Buffer.alloc(0);
  private filled = 0;
  /** Spills so far (tests). */
  spills = 0;

  /** `maxBytes`: about how much the ids not yet spilled may take in memory. */
  constructor(private readonly maxBytes = 8 << 20) {}

  private rule(r: number): RuleIds {
    return (this.rules[r] ??= { lists: [], last: [], spilled: [] });
  }

  /** An alert opened in `slot` of rule `r` with `ids` (kept: the caller hands them over). */
  opened(r: number, slot: number, ids: readonly string[]): void {
    const rule = this.rule(r);
    rule.lists[slot] = ids.slice();
    rule.last[slot] = -1;
    rule.spilled[slot] = 0;
    for (const id of ids) this.bytes += id.length + ID_OVERHEAD;
    if (this.bytes > this.maxBytes) this.spill();
  }

  appended(r: number, slot: number, id: string): void {
    const rule = this.rules[r]!;
    (rule.lists[slot] ??= []).push(id);
    this.bytes += id.length + ID_OVERHEAD;
    if (this.bytes > this.maxBytes) this.spill();
  }

  /** The alert in `slot` of rule `r` closed: its ids, or where they were spilled (the rest is spilled too). */
  closed(r: number, slot: number): ClosedIds {
    const rule = this.rules[r]!;
    const list = rule.lists[slot] ?? [];
    rule.lists[slot] = undefined;
    for (const id of list) this.bytes -= id.length + ID_OVERHEAD;
    const json = list.length ? JSON.stringify(list).slice(1, -1) : '';
    const count = rule.spilled[slot]! + list.length;
    if (rule.last[slot] === -1) return { count, json, part: -1 };
    return { count, json: '', part: list.length ? this.writePart(json, rule.last[slot]!) : rule.last[slot]! };
  }

  /** Every open alert's ids so far go to the spill file, one part each. */
  private spill(): void {
    this.spills++;
    for (const rule of this.rules) {
      if (!rule) continue;
      const { lists, last, spilled } = rule;
      for (let slot = 0; slot < lists.length; slot++) {
        const list = lists[slot];
        if (!list?.length) continue;
        last[slot] = this.writePart(JSON.stringify(list).slice(1, -1), last[slot]!);
        spilled[slot]! += list.length;
        lists[slot] = undefined;
      }
    }
    this.bytes = 0;
  }

  private writePart(json: string, previous: number): number {
    if (this.fd === undefined) {
      this.dir = makeSortDir();
      this.fd = openSync(join(this.dir, 'held-ids.bin'), 'w+');
      this.block = Buffer.allocUnsafe(WRITE_BLOCK);
    }
    const need = PART_HEADER + Buffer.byteLength(json);
    if (this.filled + need > this.block.length) this.flush();
    if (need > this.block.length) this.block = Buffer.allocUnsafe(need);
    const at = this.size;
    const length = this.block.write(json, this.filled + PART_HEADER);
    this.block.writeUInt32LE(length, this.filled);
    this.block.writeDoubleLE(previous, this.filled + 4);
    this.filled += PART_HEADER + length;
    this.size += PART_HEADER + length;
    return at;
  }

  private flush(): void {
    for (let at = 0; at < this.filled; ) at += writeSync(this.fd!, this.block, at, this.filled - at);
    this.filled = 0;
  }

  /** The ids fragment of an alert that spilled, from the offset of its last part (after the replay). */
  read(part: number): string {
    if (this.filled) this.flush();
    const parts: string[] = [];
    const header = Buffer.allocUnsafe(PART_HEADER);
    for (let at = part; at !== -1; ) {
      readAll(this.fd!, header, at);
      const body = Buffer.allocUnsafe(header.readUInt32LE(0));
      readAll(this.fd!, body, at + PART_HEADER);
      parts.push(body.toString('utf8'));
      at = header.readDoubleLE(4);
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
    this.block = Buffer.alloc(0);
  }
}

function readAll(fd: number, buf: Buffer, position: number): void {
  for (let at = 0; at < buf.length; ) {
    const read = readSync(fd, buf, at, buf.length - at, position + at);
    if (read === 0) throw new Error('the held ids spill file ended inside a part');
    at += read;
  }
}
