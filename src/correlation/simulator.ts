// The simulator (SEMANTICS.md "Simulator"): replays a signals file through the engine from an empty state,
// whatever the order of its lines, and reports the alerts. Memory stays flat as the file grows: lines are
// validated as they stream in, de-duplicated and ordered by external sorts, and only in-window state and
// not-yet-reported alerts are held.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { describeIssues, parseEventTimeMicros, signalSchema, type Signal } from '../signals/signal.js';
import { CorrelationEngine, prepareSignal, type EngineEvent } from './engine.js';
import { compileRule, type Rule } from './rule.js';
import { ExternalSorter } from './external-sort.js';

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

export class SignalFileError extends Error {
  override readonly name = 'SignalFileError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

interface Line {
  /** (source, id) */
  k: string;
  /** 1-based line number: the input order. */
  n: number;
  t: number;
  s: Signal;
}

interface Done {
  rule: string;
  groupKey: string;
  firstSeenUs: number;
  firstSeq: number;
  alert: SimulatedAlert;
}

const MAX_REPORTED_PROBLEMS = 50;

/**
 * An event time in UTC ("Z"), whatever offset the signal was written with: milliseconds as toISOString
 * gives them, plus the microsecond digits when there are any, so firstSeen/lastSeen are the exact min/max
 * event times of the held signals (SEMANTICS.md) and not rounded down to the millisecond.
 */
export function formatEventTime(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  const micros = us - ms * 1000;
  return micros === 0 ? iso : `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}
const EVICT_EVERY = 50_000;

export interface SimulateOptions {
  /** Items per in-memory chunk before sorting spills to disk. */
  chunkSize?: number;
}

/** Reads and validates the signals file; every bad line is reported with its number and field. */
async function readSignals(path: string, sorter: ExternalSorter<Line>): Promise<number> {
  const problems: string[] = [];
  let lines = 0;
  let n = 0;
  let sortFailure: unknown;
  const input = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new SignalFileError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      n++;
      // A byte-order mark (files saved by Windows editors) is not part of the first line's JSON.
      const text = n === 1 && line.startsWith('\ufeff') ? line.slice(1) : line;
      if (text.trim() === '') continue;
      lines++;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (err) {
        problems.push(`${path} line ${n}: not JSON: ${(err as Error).message}`);
        continue;
      }
      const parsed = signalSchema.safeParse(data);
      if (!parsed.success) {
        problems.push(...describeIssues(parsed.error).map((p) => `${path} line ${n}: ${p}`));
        continue;
      }
      if (problems.length === 0) {
        const s = parsed.data;
        // JSON of the pair: unambiguous whatever characters source and id hold.
        await sorter.add({ k: JSON.stringify([s.source, s.id]), n, t: parseEventTimeMicros(s.occurredAt)!, s }).catch((err: unknown) => {
          sortFailure = err;
          throw err;
        });
      }
      if (problems.length >= MAX_REPORTED_PROBLEMS) break;
    }
  } catch (err) {
    // A read error after opening (a directory, an I/O error) is the file's problem, not a crash.
    if (err instanceof SignalFileError || err === sortFailure) throw err;
    throw new SignalFileError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  } finally {
    input.destroy();
  }
  if (problems.length) throw new SignalFileError(problems);
  return lines;
}

/** Runs the simulation; the alerts come out of a stream in output order once the replay is done. */
export async function runSimulation(rules: Rule[], signalsPath: string, options: SimulateOptions = {}): Promise<{ stats: SimulationStats; alerts: AsyncGenerator<SimulatedAlert> }> {
  // Small enough that memory does not grow with the input: past one chunk, sorted runs go to disk.
  const chunkSize = options.chunkSize ?? 50_000;
  const compiled = rules.filter((r) => r.enabled).map((r) => compileRule(r));
  const stats: SimulationStats = { lines: 0, signals: 0, duplicates: 0, alerts: 0, appended: 0, rules: {} };
  for (const r of compiled) stats.rules[r.rule.id] = { alerts: 0, signals: 0 };

  // Pass 1: validate, then order by (source, id, line) so the first line of each pair wins.
  const byKey = new ExternalSorter<Line>((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.n - b.n), chunkSize);
  stats.lines = await readSignals(signalsPath, byKey);

  // Pass 2: the unique signals in event-time order, ties in input order.
  const byTime = new ExternalSorter<Line>((a, b) => a.t - b.t || a.n - b.n, chunkSize);
  let previous: string | undefined;
  for await (const line of byKey.sorted()) {
    if (line.k === previous) {
      stats.duplicates++;
      continue;
    }
    previous = line.k;
    await byTime.add(line);
  }

  // Replay. Finished alerts go to a third sorter: the output is ordered by firstSeen, then rule id.
  const finished = new ExternalSorter<Done>(
    (a, b) => a.firstSeenUs - b.firstSeenUs || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) || (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0) || a.firstSeq - b.firstSeq,
    chunkSize,
  );
  const pending: Promise<void>[] = [];
  const engine = new CorrelationEngine(compiled, (event: EngineEvent) => {
    const ruleStats = stats.rules[event.rule.rule.id]!;
    if (event.kind === 'appended') stats.appended++;
    if (event.kind !== 'closed') return;
    const { alert, rule, group } = event;
    stats.alerts++;
    ruleStats.alerts++;
    ruleStats.signals += alert.ids.length;
    pending.push(
      finished.add({
        rule: rule.rule.id,
        groupKey: group.join('\u0001'),
        firstSeenUs: alert.firstSeen,
        firstSeq: alert.firstSeq,
        alert: {
          rule: rule.rule.id,
          group: Object.fromEntries(rule.groupBy.map((field, i) => [field, group[i]!])),
          signals: [...alert.ids],
          firstSeen: formatEventTime(alert.firstSeen),
          lastSeen: formatEventTime(alert.lastSeen),
        },
      }),
    );
  });
  let sinceEvict = 0;
  for await (const line of byTime.sorted()) {
    stats.signals++;
    engine.process(prepareSignal(line.s, line.n));
    if (++sinceEvict >= EVICT_EVERY) {
      sinceEvict = 0;
      engine.evictIdle(line.t);
      await Promise.all(pending.splice(0));
    }
  }
  engine.closeAll();
  await Promise.all(pending.splice(0));

  async function* inOrder(): AsyncGenerator<SimulatedAlert> {
    for await (const done of finished.sorted()) yield done.alert;
  }
  return { stats, alerts: inOrder() };
}

/** The whole result in memory (tests, previews). */
export async function simulate(rules: Rule[], signalsPath: string, options: SimulateOptions = {}): Promise<SimulationResult> {
  const run = await runSimulation(rules, signalsPath, options);
  const alerts: SimulatedAlert[] = [];
  for await (const alert of run.alerts) alerts.push(alert);
  return { alerts, stats: run.stats };
}

/** Streams the one JSON object SEMANTICS.md specifies, without building the whole string. */
export async function writeSimulationJson(run: { stats: SimulationStats; alerts: AsyncIterable<SimulatedAlert> }, write: (chunk: string) => Promise<void> | void): Promise<void> {
  await write('{"alerts":[');
  let first = true;
  for await (const alert of run.alerts) {
    await write(`${first ? '' : ','}${JSON.stringify(alert)}`);
    first = false;
  }
  await write(`],"stats":${JSON.stringify(run.stats)}}\n`);
}
