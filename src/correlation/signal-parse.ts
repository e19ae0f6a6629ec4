// Validating one chunk of a signals file (whole lines) and encoding its valid lines as binary records: the
// work a parse worker does (signal-parse-worker.ts), or the simulator's own thread for a small file. A chunk
// knows nothing of where it sits in the file: its lines are numbered from 1, and the reader adds the number
// of lines before it (signal-file.ts).
import { describeIssues, signalSchema } from '../signals/signal.js';
import { checkSignal } from '../signals/signal-check.js';
import { eventTimeMicros } from '../signals/event-time.js';
import { matchedSource, matchedType } from './engine.js';
import { RecordBuffer, type RecordSink } from './record-sort.js';
import { addKeyRecord, addScannedKeyRecord, SignalCodec, type ValidSignal } from './signal-record.js';
import { LineScanner } from './signal-scan.js';

/** A chunk's outcome, as posted back by a worker (plain data and transferable byte arrays); its key records went to the parser's key sort. */
export interface ParsedChunk {
  /** Lines in the chunk, blank ones included: the next chunk's first line is this many further. */
  lines: number;
  /** Lines that were not blank. */
  nonBlank: number;
  /** Time records of the valid lines (SignalCodec), their line numbers counted within the chunk. */
  time: Uint8Array;
  /** Local line number of the last valid line (0: none). */
  lastLine: number;
  /** Source and type names this parser numbered first in this chunk, in number order. */
  names: string[];
  /** The bytes parsed, given back so their block can be read into again. */
  input: Uint8Array;
  /** Bad lines, in order: the local line number and what is wrong (at most MAX_REPORTED_PROBLEMS in all). */
  problems: { line: number; messages: string[] }[];
}

export const MAX_REPORTED_PROBLEMS = 50;

/** Parses chunks one after another, numbering source and type names in a table of its own. */
export class ChunkParser {
  private readonly codec: SignalCodec;
  private readonly scanner: LineScanner;

  /** `fields`: the artifact fields some rule reads. */
  constructor(fields: readonly string[]) {
    this.codec = new SignalCodec(fields);
    this.scanner = new LineScanner(fields);
  }

  /**
   * `bytes`: whole lines of UTF-8 (the last one may lack its line end only at the end of the file); `first`:
   * the file's first chunk, whose first line may start with a byte-order mark. Line ends are \n, \r\n or a
   * lone \r, as readline sees them. The lines' (source, id) key records go to `keys` (addKeyRecord, lines
   * numbered from 1); `reuse`: the time records block of a chunk already stored (fewer large allocations,
   * fewer full collections).
   */
  parse(bytes: Uint8Array, first: boolean, keys: RecordSink, reuse?: ArrayBuffer): ParsedChunk {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = buf.length;
    // Sized up to a whole 64 KiB, so the blocks of chunks of about the same size (the reader's) fit one
    // another: a block that does not fit is dropped where it is, outside a heap a worker seldom collects.
    const time = new RecordBuffer(Math.ceil((bytes.byteLength + 64) / 65_536) * 65_536, reuse);
    const scan = this.scanner;
    const namesBefore = this.codec.nameCount;
    const problems: ParsedChunk['problems'] = [];
    let reported = 0;
    let n = 0;
    let nonBlank = 0;
    let lastLine = 0;
    let at = 0;
    let lf = buf.indexOf(10);
    let cr = buf.indexOf(13);
    while (at < size) {
      if (lf !== -1 && lf < at) lf = buf.indexOf(10, at);
      if (cr !== -1 && cr < at) cr = buf.indexOf(13, at);
      let end = lf === -1 ? size : lf;
      let next = end + 1;
      if (cr !== -1 && cr < end) {
        end = cr;
        next = buf[cr + 1] === 10 ? cr + 2 : cr + 1;
      }
      let start = at;
      at = next;
      n++;
      // A byte-order mark (files saved by Windows editors) is not part of the first line's JSON.
      if (first && n === 1 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      const plain = start < end && buf[start] === 123;
      let line: string | undefined;
      if (!plain) {
        line = buf.toString('utf8', start, end);
        if (line.trim() === '') continue;
      }
      nonBlank++;
      if (reported >= MAX_REPORTED_PROBLEMS) continue;
      if (plain && scan.scan(buf, start, end)) {
        // The plain shape, read from the bytes (signal-scan.ts): the same record as below, without the objects.
        const t = eventTimeMicros(buf.toString('latin1', scan.starts[3]!, scan.ends[3]!));
        if (t !== undefined) {
          if (problems.length) continue;
          const source = matchedSource(buf.toString('latin1', scan.starts[1]!, scan.ends[1]!));
          this.codec.addScanned(time, t, n, scan, buf, source, matchedType(buf.toString('latin1', scan.starts[2]!, scan.ends[2]!)));
          addScannedKeyRecord(keys, n, buf, scan.starts[1]!, scan.ends[1]!, scan.starts[0]!, scan.ends[0]!);
          lastLine = n;
          continue;
        }
      }
      line ??= buf.toString('utf8', start, end);
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch (err) {
        problems.push({ line: n, messages: [`not JSON: ${(err as Error).message}`] });
        reported++;
        continue;
      }
      // Plain lines by hand (signal-check.ts: zod costs several microseconds a line); zod decides the rest.
      const checked = checkSignal(data);
      let t = checked ? eventTimeMicros(checked.occurredAt) : undefined;
      if (checked) data = checked;
      if (t === undefined) {
        const parsed = signalSchema.safeParse(data);
        if (!parsed.success) {
          const messages = describeIssues(parsed.error);
          problems.push({ line: n, messages });
          reported += messages.length;
          continue;
        }
        data = parsed.data;
        t = eventTimeMicros(parsed.data.occurredAt)!;
      }
      // After a bad line the file is refused: only problems matter from there on.
      if (problems.length) continue;
      const s = data as ValidSignal;
      this.codec.add(time, t, n, s, matchedSource(s.source), matchedType(s.type));
      addKeyRecord(keys, n, s.source, s.id);
      lastLine = n;
    }
    return { lines: n, nonBlank, time: time.bytes(), lastLine, input: bytes, names: this.codec.namesFrom(namesBefore), problems };
  }
}
