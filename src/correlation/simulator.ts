// The simulator (SEMANTICS.md "Simulator"): replays a signals file through the engine from an empty state,
// whatever the order of its lines, and reports the alerts. Memory stays flat as the file grows: lines are
// validated as they stream in, by a worker thread beside this one for a large file (signal-file.ts), and kept as compact
// binary records (signal-record.ts); the records are ordered
// by an external sort that spills by bytes (record-sort.ts), duplicates are found by a second sort of
// (source, id) keys alone and remembered as one bit per line, and only in-window state and not-yet-reported
// alerts are held (those spill too, as binary records: finished-sort.ts), and open alerts' signal ids spill as they grow (held-ids.ts).
import type { ProgressFn } from '../app/terminal-progress.js';
import { CorrelationEngine, type EngineEvent } from './memory-engine.js';
import { compileRule, type CompiledRule, type Rule } from './rule.js';
import { FinishedSort } from './finished-sort.js';
import { HeldIds } from './held-ids.js';
import { RecordSorter } from './record-sort.js';
import { markDuplicates, SignalCodec } from './signal-record.js';
import { readSignalFile, SignalFileError } from './signal-file.js';

export { SignalFileError };

export interface SimulatedAlert {
  rule: string;
  group: Record<string, string>;
  signals: string[];
  firstSeen: string;
  lastSeen: string;
}

export interface SimulationStats {
  /** Non-blank lines read. */
  lines: number;
  /** Signals replayed (lines minus duplicates). */
  signals: number;
  /** Lines whose (source, id) had been seen on an earlier line: ignored. */
  duplicates: number;
  alerts: number;
  /** Signals appended to an already open alert. */
  appended: number;
  rules: Record<string, { alerts: number; signals: number }>;
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

/**
 * An event time in UTC ("Z"), whatever offset the signal was written with: milliseconds as toISOString
 * gives them, plus the microsecond digits when there are any, so firstSeen/lastSeen are the exact min/max
 * event times of the held signals (SEMANTICS.md) and not rounded down to the millisecond.
 */
export function formatEventTime(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  // Two per alert, hundreds of thousands of alerts: the date part is made once a day of event time, the
  // time of day by arithmetic (a Date and its toISOString cost more).
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    datePrefix = iso.slice(0, iso.indexOf('T') + 1);
    cachedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  const time = `${datePrefix}${pad2(h)}:${pad2(m)}:${pad2(sec)}.${pad3(rest - sec * 1000)}`;
  return micros === 0 ? `${time}Z` : `${time}${pad3(micros)}Z`;
}

const DAY_MS = 86_400_000;
let cachedDay = NaN;
let datePrefix = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

const EVICT_EVERY = 50_000;
// Finished alerts held before their sort spills: they wait beside the engine's tables while it replays.
const FINISHED_SORT_BYTES = 2 << 20;
// Open alerts' ids held before they spill (held-ids.ts): at 2 MiB the output read the spilled parts back with
// about 1 s of preads at 1M lines, at 4 MiB a quarter of that, for about 4 MB more peak.
const HELD_ID_BYTES = 4 << 20;

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

/** Runs the simulation; the alerts come out of a sort in output order once the replay is done. */
export async function runSimulation(rules: Rule[], signalsPath: string, options: SimulateOptions = {}): Promise<SimulationRun> {
  const compiled = rules.filter((r) => r.enabled).map((r) => compileRule(r));
  const stats: SimulationStats = { lines: 0, signals: 0, duplicates: 0, alerts: 0, appended: 0, rules: {} };
  for (const r of compiled) stats.rules[r.rule.id] = { alerts: 0, signals: 0 };
  // Only the artifact fields some rule reads are kept.
  const fields = [...new Set(compiled.flatMap((r) => [...r.groupBy, ...r.parts.flatMap((p) => (p.where ?? []).map(([field]) => field))]))];

  // Pass 1: validate; records go to the time sort, (source, id) keys to the key sort.
  const byTime = new RecordSorter({ maxItems: options.chunkSize, maxBytes: options.maxSortBytes ?? 8 << 20 });
  const byKey = new RecordSorter({ maxItems: options.chunkSize, maxBytes: options.maxSortBytes ?? 4 << 20 });
  const codec = new SignalCodec(fields);
  // Per parser, its name numbers -> the codec's (each parse worker numbers the names it meets itself).
  const names: number[][] = [];
  let lastLine = 0;
  const progress = options.onProgress;
  try {
    stats.lines = await readSignalFile(
      signalsPath,
      fields,
      (chunk, offset, parser) => {
        const map = (names[parser] ??= []);
        codec.adoptNames(chunk.names, map);
        const same = map.every((id, i) => id === i);
        byTime.addRecords(chunk.time, offset, same ? undefined : (buf, start) => SignalCodec.renumber(buf, start, map));
        byKey.addRecords(chunk.keys, offset);
        if (chunk.lastLine) lastLine = offset + chunk.lastLine;
        progress?.('reading lines', offset + chunk.lines);
      },
      { threads: options.parseThreads, blockSize: options.readBlockSize },
    );
  } catch (err) {
    // A bad line near the end of a large file must not leave its spilled runs behind.
    byTime.discard();
    byKey.discard();
    throw err;
  }
  const records = byTime.total;

  // Pass 2: the first line of each (source, id) wins; the others are marked, one bit per line.
  const duplicate = new Uint8Array((lastLine >> 3) + 1);
  stats.duplicates = markDuplicates(byKey, duplicate);

  const { finished, held } = replay(compiled, stats, byTime, codec, duplicate, records, options);
  // The engine's tables (tens of MB) are garbage now: a full collection gives them back before the output
  // allocates on top of them (bin/node-flags.js exposes gc() to `taser simulate`; elsewhere nothing happens).
  (globalThis as { gc?: () => void }).gc?.();

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
 * Replays the records in event-time order, ties in input order, skipping duplicates; the finished alerts come
 * back in a sort by output order, their spilled ids in `held`. A function of its own so the engine and its
 * tables are garbage once it returns, before the output is written.
 */
function replay(compiled: CompiledRule[], stats: SimulationStats, byTime: RecordSorter, codec: SignalCodec, duplicate: Uint8Array, records: number, options: SimulateOptions): { finished: FinishedSort; held: HeldIds } {
  const progress = options.onProgress;
  // Finished alerts go to a third sort: the output is ordered by firstSeen, then rule id (then group and
  // first signal, so it is deterministic).
  const finished = new FinishedSort(
    compiled.map((r) => r.rule.id),
    { maxItems: options.chunkSize, maxBytes: options.maxSortBytes ?? FINISHED_SORT_BYTES },
  );
  // Each rule's JSON text before its group, and its group's field names as JSON keys.
  const ruleJson = compiled.map((r) => JSON.stringify(r.rule.id));
  const groupKeys = compiled.map((r) => plainKeys(r.groupBy));
  // The engine keeps no open alert's ids: they come with the events, and are kept (or spilled) here.
  const held = new HeldIds(options.maxHeldIdBytes ?? HELD_ID_BYTES);
  const ruleIndex = new Map(compiled.map((r, i) => [r, i]));
  const engine = new CorrelationEngine(
    compiled,
    (event: EngineEvent) => {
      const r = ruleIndex.get(event.rule)!;
      if (event.kind === 'appended') {
        stats.appended++;
        held.appended(r, event.slot, event.alert.ids[0]!);
        return;
      }
      if (event.kind === 'opened') return held.opened(r, event.slot, event.alert.ids);
      const { alert, rule, group } = event;
      const id = rule.rule.id;
      const ruleStats = stats.rules[id]!;
      const ids = held.closed(r, event.slot);
      stats.alerts++;
      ruleStats.alerts++;
      ruleStats.signals += ids.count;
      // As JSON.stringify({rule, group, signals, firstSeen, lastSeen}) writes it, with the ids put in as text.
      const keys = groupKeys[r];
      const groupJson = keys ? objectJson(keys, group) : JSON.stringify(Object.fromEntries(rule.groupBy.map((field, i) => [field, group[i]!])));
      const head = `{"rule":${ruleJson[r]},"group":${groupJson},"signals":[`;
      const tail = `],"firstSeen":"${formatEventTime(alert.firstSeen)}","lastSeen":"${formatEventTime(alert.lastSeen)}"}`;
      finished.add(r, alert.firstSeen, alert.firstSeq, group.join('\u0001'), head, ids.json, tail, ids.part);
    },
    { holdIds: false },
  );
  let sinceEvict = 0;
  byTime.drain((r) => {
    const n = r.k2;
    if (duplicate[n >> 3]! & (1 << (n & 7))) return;
    stats.signals++;
    engine.process(codec.decode(r.buf, r.start, r.k1, n));
    if ((stats.signals & PROGRESS_EVERY) === 0) progress?.('replaying signals', stats.signals, records - stats.duplicates);
    if (++sinceEvict >= EVICT_EVERY) {
      sinceEvict = 0;
      engine.evictIdle(r.k1);
    }
  });
  engine.closeAll();
  return { finished, held };
}

/**
 * The group's field names as JSON object keys (`"name":`), when an object built from them keeps their order
 * and each of them: no name twice, none that is an array index (an object puts those first). Else undefined.
 */
function plainKeys(fields: readonly string[]): string[] | undefined {
  if (new Set(fields).size !== fields.length || fields.some((f) => /^(0|[1-9][0-9]*)$/.test(f))) return undefined;
  return fields.map((f) => `${JSON.stringify(f)}:`);
}

/** JSON.stringify of the object of `keys` (plainKeys) and their string `values`. */
function objectJson(keys: readonly string[], values: readonly string[]): string {
  let json = '{';
  for (let i = 0; i < keys.length; i++) json += `${i ? ',' : ''}${keys[i]}${JSON.stringify(values[i])}`;
  return `${json}}`;
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
