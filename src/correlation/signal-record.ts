// The simulator's compact form of a valid line, as a RecordSorter payload: only what the engine reads, in
// bytes, so sorting and spilling never build an object per line and replaying needs no JSON.parse.
//
// Time record (k1 = event time µs, k2 = line number): [u8 severity][u32 source name][u32 type name]
// [u32 length, id], then per artifact field a rule reads: [u8 0] absent, [u8 1][u32 length, text] a string,
// [u8 2][u32 length, JSON] anything else (a number, a list). Names are the normalized source and type,
// numbered in a table held in memory (a stream has few). Key record (k1 = a hash of (source, id), k2 = line):
// [u32 length, source][id]: equal hashes are compared byte for byte, so a collision is never a duplicate.
import { SEVERITIES, type ArtifactValue, type Severity } from '../signals/signal.js';
import type { PreparedSignal } from './engine.js';
import type { RecordSink, RecordSorter } from './record-sort.js';
import { VALUE_JSON, VALUE_TEXT, type LineScanner } from './signal-scan.js';
import { utf8Slice } from './buffer-utf8.js';

/** A line that passed validation: what the engine needs of it. */
export interface ValidSignal {
  id: string;
  source: string;
  type: string;
  severity?: Severity;
  artifacts?: Record<string, unknown>;
}

const SEVERITY_CODE = new Map<string | undefined, number>(SEVERITIES.map((s, i) => [s, i + 1]));
const ABSENT = 0;
const TEXT = VALUE_TEXT;
const JSON_VALUE = VALUE_JSON;

/** Writes `text` as [u32 byte length][UTF-8] at `at`; returns the end. */
function putText(buf: Buffer, at: number, text: string): number {
  const length = buf.write(text, at + 4);
  buf.writeUInt32LE(length, at);
  return at + 4 + length;
}

/** Writes from[start, end) as [u32 length][bytes] at `at`; returns the end. */
function putBytes(buf: Buffer, at: number, from: Buffer, start: number, end: number): number {
  buf.writeUInt32LE(end - start, at);
  at += 4;
  // Byte by byte: ids and values are a few dozen bytes, less than Buffer.copy's checks cost.
  for (let i = start; i < end; i++) buf[at++] = from[i]!;
  return at;
}

/** Encodes signals into time records and decodes them back, with the name table both share. */
export class SignalCodec {
  private readonly nameIds = new Map<string, number>();
  private readonly names: string[] = [];

  /** `fields`: the artifact fields some rule reads (the others are not kept). */
  constructor(private readonly fields: readonly string[]) {}

  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  /** Names numbered so far. */
  get nameCount(): number {
    return this.names.length;
  }

  /** The names numbered from `from` on (a parse worker sends them with the chunk that numbered them). */
  namesFrom(from: number): string[] {
    return this.names.slice(from);
  }

  /**
   * Numbers names another codec numbered (a worker's), appending to `map` (its number -> this codec's);
   * `renumber` then rewrites a record of that codec in place.
   */
  adoptNames(names: readonly string[], map: number[]): void {
    for (const name of names) map.push(this.nameId(name));
  }

  /** Rewrites the source and type numbers of the time record payload at buf[start...] through `map`. */
  static renumber(buf: Buffer, start: number, map: readonly number[]): void {
    buf.writeUInt32LE(map[buf.readUInt32LE(start + 1)]!, start + 1);
    buf.writeUInt32LE(map[buf.readUInt32LE(start + 5)]!, start + 5);
  }

  /** Adds the signal's time record to `sorter`; `source` and `type` already as rules match them. */
  add(sorter: RecordSink, t: number, n: number, s: ValidSignal, source: string, type: string): void {
    const fields = this.fields;
    const artifacts = s.artifacts;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    let max = 13 + 3 * s.id.length + 5 * fields.length;
    const values: (string | undefined)[] = [];
    let json = 0;
    if (artifacts) {
      for (let i = 0; i < fields.length; i++) {
        const v = artifacts[fields[i]!];
        if (v === undefined) continue;
        let text: string;
        if (typeof v === 'string') text = v;
        else {
          text = JSON.stringify(v);
          json |= 1 << i;
        }
        values[i] = text;
        max += 3 * text.length;
      }
    }
    const start = sorter.begin(t, n, max);
    const buf = sorter.buf;
    buf[start] = SEVERITY_CODE.get(s.severity) ?? 0;
    buf.writeUInt32LE(this.nameId(source), start + 1);
    buf.writeUInt32LE(this.nameId(type), start + 5);
    let at = putText(buf, start + 9, s.id);
    for (let i = 0; i < fields.length; i++) {
      const text = values[i];
      if (text === undefined) buf[at++] = ABSENT;
      else {
        buf[at] = json & (1 << i) ? JSON_VALUE : TEXT;
        at = putText(buf, at + 1, text);
      }
    }
    sorter.commit(at);
  }

  /**
   * Adds the time record of a line `scan` read from `line` (signal-scan.ts): its kept strings are ASCII, so
   * their bytes are copied as they are; `source` and `type` already as rules match them.
   */
  addScanned(sorter: RecordSink, t: number, n: number, scan: LineScanner, line: Buffer, source: string, type: string): void {
    const { kinds, valueStarts, valueEnds } = scan;
    const idStart = scan.starts[0]!;
    const idEnd = scan.ends[0]!;
    let max = 13 + idEnd - idStart + 5 * kinds.length;
    for (let i = 0; i < kinds.length; i++) if (kinds[i]) max += valueEnds[i]! - valueStarts[i]!;
    const start = sorter.begin(t, n, max);
    const buf = sorter.buf;
    buf[start] = scan.severity;
    buf.writeUInt32LE(this.nameId(source), start + 1);
    buf.writeUInt32LE(this.nameId(type), start + 5);
    let at = putBytes(buf, start + 9, line, idStart, idEnd);
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i]!;
      buf[at++] = kind;
      if (kind) at = putBytes(buf, at, line, valueStarts[i]!, valueEnds[i]!);
    }
    sorter.commit(at);
  }

  /** The signal of a time record (payload buf[start, end), keys t and n). */
  decode(buf: Buffer, start: number, t: number, n: number): PreparedSignal {
    const severity = buf[start]! ? SEVERITIES[buf[start]! - 1] : undefined;
    const source = this.names[buf.readUInt32LE(start + 1)]!;
    const type = this.names[buf.readUInt32LE(start + 5)]!;
    let at = start + 9;
    let length = buf.readUInt32LE(at);
    const id = utf8Slice(buf, at + 4, at + 4 + length);
    at += 4 + length;
    const artifacts: Record<string, ArtifactValue> = {};
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const tag = buf[at++];
      if (tag === ABSENT) continue;
      length = buf.readUInt32LE(at);
      const text = utf8Slice(buf, at + 4, at + 4 + length);
      at += 4 + length;
      artifacts[fields[i]!] = tag === TEXT ? text : (JSON.parse(text) as ArtifactValue);
    }
    return { id, t, seq: n, type, source, severity, artifacts };
  }
}

/** FNV-1a over the key's UTF-16 units, 32 bits, from a given basis. */
function fnv(text: string, hash: number): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** Adds the (source, id) key record of line `n` to `sorter`. */
export function addKeyRecord(sorter: RecordSink, n: number, source: string, id: string): void {
  // 53 bits of two differently seeded hashes, with the source's length so "ab"+"c" differs from "a"+"bc".
  const high = fnv(id, fnv(source, 2166136261 ^ source.length));
  const low = fnv(source, fnv(id, 0x9e3779b9)) >>> 11;
  const start = sorter.begin(high * 2 ** 21 + low, n, 4 + 3 * (source.length + id.length));
  const buf = sorter.buf;
  const at = putText(buf, start, source);
  sorter.commit(at + buf.write(id, at));
}

/** FNV-1a as `fnv`, over bytes that are ASCII (each byte one UTF-16 unit). */
function fnvBytes(b: Buffer, start: number, end: number, hash: number): number {
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ b[i]!, 16777619);
  return hash >>> 0;
}

/** addKeyRecord for a source and an id given as ASCII bytes of `line` (signal-scan.ts): the same record. */
export function addScannedKeyRecord(sorter: RecordSink, n: number, line: Buffer, sourceStart: number, sourceEnd: number, idStart: number, idEnd: number): void {
  const high = fnvBytes(line, idStart, idEnd, fnvBytes(line, sourceStart, sourceEnd, 2166136261 ^ (sourceEnd - sourceStart)));
  const low = fnvBytes(line, sourceStart, sourceEnd, fnvBytes(line, idStart, idEnd, 0x9e3779b9)) >>> 11;
  const start = sorter.begin(high * 2 ** 21 + low, n, 4 + sourceEnd - sourceStart + idEnd - idStart);
  const buf = sorter.buf;
  const at = putBytes(buf, start, line, sourceStart, sourceEnd);
  let to = at;
  for (let i = idStart; i < idEnd; i++) buf[to++] = line[i]!;
  sorter.commit(to);
}

// A key record's k2 as a parser writes it: the chunk's number times CHUNK_LINES plus the line's number
// within the chunk (a parser does not know how many lines came before its chunk); the same order as the
// file's line numbers, which markDuplicates turns it into.
const CHUNK_LINES = 2 ** 32;

/** Where a parser writes the key records of chunk `chunk` (its lines numbered from 1): into `sorter`, keyed as above. */
export class ChunkKeys implements RecordSink {
  chunk = 0;
  constructor(private readonly sorter: RecordSink) {}
  get buf(): Buffer {
    return this.sorter.buf;
  }
  begin(k1: number, k2: number, maxPayload: number): number {
    return this.sorter.begin(k1, this.chunk * CHUNK_LINES + k2, maxPayload);
  }
  commit(end: number): void {
    this.sorter.commit(end);
  }
}

/**
 * Marks, in `duplicate` (one bit per line number), every line whose (source, id) came on an earlier line,
 * reading the key records in (hash, line) order; returns how many. Keys of equal hash are told apart by
 * their bytes. `chunkOffsets`: the key records are a ChunkKeys', and chunk c's line n is line
 * chunkOffsets[c] + n of the file (else k2 is the line).
 */
export function markDuplicates(keys: RecordSorter, duplicate: Uint8Array, chunkOffsets?: ArrayLike<number>): number {
  let count = 0;
  let hash = NaN;
  // The first key seen with the current hash, copied (the reader's block moves on), and any other distinct
  // keys with that hash (a collision: almost never).
  let first = Buffer.allocUnsafe(256);
  let firstLength = 0;
  let others: Buffer[] = [];
  keys.drain((r) => {
    const length = r.end - r.start;
    if (r.k1 !== hash) {
      hash = r.k1;
      if (length > first.length) first = Buffer.allocUnsafe(2 * length);
      // Once a line: a byte loop costs less than Buffer.copy's checks for a key of a few dozen bytes.
      const buf = r.buf;
      for (let i = 0, j = r.start; i < length; i++, j++) first[i] = buf[j]!;
      firstLength = length;
      if (others.length) others = [];
      return;
    }
    if (r.buf.compare(first, 0, firstLength, r.start, r.end) === 0 || others.some((o) => r.buf.compare(o, 0, o.length, r.start, r.end) === 0)) {
      const chunk = chunkOffsets ? Math.floor(r.k2 / CHUNK_LINES) : 0;
      const line = chunkOffsets ? chunkOffsets[chunk]! + (r.k2 - chunk * CHUNK_LINES) : r.k2;
      duplicate[line >> 3]! |= 1 << (line & 7);
      count++;
    } else others.push(Buffer.from(r.buf.subarray(r.start, r.end)));
  });
  return count;
}
