// The simulator (SEMANTICS.md "Simulator"): replays a signals file through the engine from an empty state,
// whatever the order of its lines, and reports the alerts. Memory stays flat as the file grows: lines are
// validated as they stream in, by a worker thread beside this one for a large file (signal-file.ts), and kept as compact
// binary records (signal-record.ts); the records are ordered
// by an external sort that spills by bytes (record-sort.ts), duplicates are found by a second sort of
// (source, id) keys alone and remembered as one bit per line, and only in-window state and not-yet-reported
// alerts are held (those spill too, as binary records: finished-sort.ts), and open alerts' signal ids spill as they grow (held-ids.ts).
// A file already in event-time order (an export) is replayed while it is read (simulate-replay.ts), the
// parse worker taking every chunk meanwhile, unless a duplicate turns up at the end.
import type { ProgressFn } from '../app/terminal-progress.js';
import { compileRule, type Rule } from './rule.js';
import { RECORD_HEADER, RecordSorter } from './record-sort.js';
import { formatEventTime, Replay, type SimulationStats } from './simulate-replay.js';
import { SignalCodec } from './signal-record.js';
import { readSignalFile, SignalFileError } from './signal-file.js';

export { formatEventTime, SignalFileError, type SimulationStats };

export interface SimulatedAlert {
  rule: string;
  group: Record<string, string>;
  signals: string[];
  firstSeen: string;
  lastSeen: string;
}

export interface SimulationResult {
  alerts: SimulatedAlert[];
  stats: SimulationStats;
}

export interface SimulationRun {
  stats: SimulationStats;
  /** The alerts in output order. Either this or `alertJson` can be read, once. */
  alerts: AsyncGenerator<SimulatedAlert>;
  /** The same alerts as their JSON text, for writing out without parsing them again. */
  alertJson: () => Generator<string>;
}

export interface SimulateOptions {
  /** Items per in-memory sort run before it spills to disk (tests force spills with small numbers). */
  chunkSize?: number;
  /** Bytes per in-memory sort run before it spills (defaults: 8 MiB for the signals, 4 MiB for their keys, 2 MiB for the alerts). */
  maxSortBytes?: number;
  /** Bytes of open alerts' signal ids held in memory before they spill (default 4 MiB, held beside the engine while it replays; tests force spills). */
  maxHeldIdBytes?: number;
  /** Parse worker threads beside this one, which parses too (0: this thread alone); default: by the file's size (signal-file.ts). */
  parseThreads?: number;
  /** Bytes per chunk read (tests cut lines at every place with small ones). */
  readBlockSize?: number;
  /** Told how far reading and replaying are, every few thousand lines (the CLI's terminal progress line). */
  onProgress?: ProgressFn;
}

const PROGRESS_EVERY = 0x3fff;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Runs the simulation; the alerts come out of a sort in output order once the replay is done. */
export async function runSimulation(rules: Rule[], signalsPath: string, options: SimulateOptions = {}): Promise<SimulationRun> {
  const compiled = rules.filter((r) => r.enabled).map((r) => compileRule(r));
  // Only the artifact fields some rule reads are kept.
  const fields = [...new Set(compiled.flatMap((r) => [...r.groupBy, ...r.parts.flatMap((p) => (p.where ?? []).map(([field]) => field))]))];

  // Pass 1: validate; records go to the time sort, (source, id) keys to the parsers' key sorts, which say
  // at the end which lines came with a (source, id) seen before: the first line of each wins, the others
  // are marked, one bit per line.
  const byTime = new RecordSorter({ maxItems: options.chunkSize, maxBytes: options.maxSortBytes ?? 8 << 20 });
  const codec = new SignalCodec(fields);
  // Per parser, its name numbers -> the codec's (each parse worker numbers the names it meets itself).
  const names: number[][] = [];
  const progress = options.onProgress;
  // While every line so far is in event-time order, the records are replayed as they come, beside the parse
  // workers (which take every chunk meanwhile), on the bet that the file has no duplicate (source, id): only
  // the key sort, at the end, can say. The first line out of order drops this replay, and so does a
  // duplicate at the end: then the time sort replays the file as it would have anyway.
  let live: Replay | undefined = new Replay(compiled, codec, options);
  let read;
  try {
    read = await readSignalFile(
      signalsPath,
      fields,
      (chunk, offset, parser) => {
        const map = (names[parser] ??= []);
        codec.adoptNames(chunk.names, map);
        toFileLines(chunk.time, offset, map.every((id, i) => id === i) ? undefined : map);
        byTime.addRecords(chunk.time, 0);
        if (live && byTime.ordered) replayRecords(live, chunk.time);
        else if (live) {
          live.discard();
          live = undefined;
          // Its tables are garbage: given back before the rest of the file's records pile up beside them.
          gc();
        }
        progress?.(live ? 'reading and replaying lines' : 'reading lines', offset + chunk.lines);
      },
      { threads: options.parseThreads, blockSize: options.readBlockSize, parseHere: () => live === undefined, keySort: { maxItems: options.chunkSize, maxBytes: options.maxSortBytes } },
    );
  } catch (err) {
    // A bad line near the end of a large file must not leave its spilled runs behind.
    byTime.discard();
    live?.discard();
    throw err;
  }
  const records = byTime.total;
  const { lines } = read;
  // While the first parse worker merges the key sorts, the replay of an in-order file is finished, on the
  // bet that there is no duplicate; and the engine's tables (tens of MB), garbage then, are given back by a
  // full collection before the output allocates on top of them (bin/node-flags.js exposes gc() to `taser
  // simulate`; elsewhere nothing happens).
  let done: ReturnType<Replay['finish']> | undefined;
  let marked;
  try {
    try {
      done = live?.finish();
      gc();
    } finally {
      marked = await read.duplicates;
    }
  } catch (err) {
    byTime.discard();
    live?.discard();
    throw err;
  }
  const { duplicate, count: duplicates } = marked;
  if (!done || duplicates > 0) {
    // The replay's tables were given back above: the time sort replays the file from an empty state.
    live?.discard();
    live = undefined;
    const replay = new Replay(compiled, codec, options);
    replaySorted(replay, byTime, duplicate, records - duplicates, progress);
    done = replay.finish();
    gc();
  }
  byTime.discard();
  live = undefined;
  const { finished, held, stats } = done;
  stats.lines = lines;
  stats.duplicates = duplicates;

  function* alertJson(): Generator<string> {
    try {
      yield* finished.sorted((part) => held.read(part));
    } finally {
      finished.discard();
      held.discard();
    }
  }
  async function* alerts(): AsyncGenerator<SimulatedAlert> {
    for (const json of alertJson()) yield JSON.parse(json) as SimulatedAlert;
  }
  return { stats, alerts: alerts(), alertJson };
}

/**
 * Turns a chunk's time records into the file's, in place: line numbers `offset` further, source and type
 * numbers through `map` (the parser's -> the codec's), so the time sort takes them as they are.
 */
function toFileLines(records: Uint8Array, offset: number, map: readonly number[] | undefined): void {
  const buf = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  for (let at = 0; at < buf.length; at += RECORD_HEADER + buf.readUInt32LE(at)) {
    if (offset) buf.writeDoubleLE(buf.readDoubleLE(at + 12) + offset, at + 12);
    if (map) SignalCodec.renumber(buf, at + RECORD_HEADER, map);
  }
}

/** Replays a chunk's time records as they are (in order). */
function replayRecords(replay: Replay, records: Uint8Array): void {
  const buf = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  for (let at = 0; at < buf.length; at += RECORD_HEADER + buf.readUInt32LE(at)) replay.signal(buf, at + RECORD_HEADER, buf.readDoubleLE(at + 4), buf.readDoubleLE(at + 12));
}

/** Replays the time sort's records in event-time order, ties in input order, skipping duplicates. */
function replaySorted(replay: Replay, byTime: RecordSorter, duplicate: Uint8Array, signals: number, progress?: ProgressFn): void {
  const stats = replay.stats;
  byTime.drain((r) => {
    const n = r.k2;
    if (duplicate[n >> 3]! & (1 << (n & 7))) return;
    replay.signal(r.buf, r.start, r.k1, n);
    if ((stats.signals & PROGRESS_EVERY) === 0) progress?.('replaying signals', stats.signals, signals);
  });
}

/** The whole result in memory (tests, previews). */
export async function simulate(rules: Rule[], signalsPath: string, options: SimulateOptions = {}): Promise<SimulationResult> {
  const run = await runSimulation(rules, signalsPath, options);
  const alerts: SimulatedAlert[] = [];
  for await (const alert of run.alerts) alerts.push(alert);
  return { alerts, stats: run.stats };
}

const OUTPUT_CHUNK = 1 << 16;

/** Streams the one JSON object SEMANTICS.md specifies, in chunks of about 64 KiB, without building the whole string. */
export async function writeSimulationJson(run: { stats: SimulationStats; alerts: AsyncIterable<SimulatedAlert>; alertJson?: () => Iterable<string> }, write: (chunk: string) => Promise<void> | void): Promise<void> {
  let chunk = '{"alerts":[';
  let first = true;
  const add = async (json: string) => {
    chunk += first ? json : `,${json}`;
    first = false;
    if (chunk.length >= OUTPUT_CHUNK) {
      await write(chunk);
      chunk = '';
    }
  };
  if (run.alertJson) for (const json of run.alertJson()) await add(json);
  else for await (const alert of run.alerts) await add(JSON.stringify(alert));
  await write(`${chunk}],"stats":${JSON.stringify(run.stats)}}\n`);
}
