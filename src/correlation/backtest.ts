// Backtesting one rule on the signals stored in MongoDB (`taser simulate --rule ID --since 30d`): how often would
// it have fired? The stored signals of the period are read as the database returns them (no sort asked of it:
// FerretDB sorts in memory after a whole scan, which timed out at 20,000 signals, and on MongoDB the order by
// occurredAt, receivedAt, _id is not one index), with only the fields the rule reads, and ordered by the
// simulator's external sort, which spills to disk; then they stream through the same engine in event-time
// order, from an empty state. Only a sort run, in-window state and counters are held: memory stays flat however
// many signals the period holds.
import type { Db } from 'mongodb';
import { eventTimeMicros } from '../signals/event-time.js';
import { prepareSignal } from './engine.js';
import { CorrelationEngine } from './memory-engine.js';
import { compileRule, type Rule } from './rule.js';
import { ExternalSorter } from './external-sort.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../signals/store.js';
import type { Signal } from '../signals/signal.js';

export interface BacktestReport {
  rule: string;
  since: string;
  until: string;
  /** Signals of the period that the rule looked at (stored signals in the period). */
  signals: number;
  alerts: number;
  /** Alerts by the UTC day of their first signal. */
  perDay: Record<string, number>;
  /** The groups that fired most, most first (at most 20). */
  topGroups: { group: Record<string, string>; alerts: number }[];
  /** How many signals an alert holds. */
  signalsPerAlert: { min: number; median: number; mean: number; max: number } | null;
}

const EVICT_EVERY = 50_000;

/** A stored signal in the sort: event time (µs), receipt (ms) and key order it; the line carries the rest. */
interface Row {
  t: number;
  r: number;
  k: string;
  line: string;
}

function parseRow(line: string): Row {
  const [t, r, k] = JSON.parse(line) as [number, number, string];
  return { t, r, k, line };
}
const TOP_GROUPS = 20;

/** For a caller that runs the backtest inside a server (the console's simulator): progress, samples, cancel. */
export interface BacktestHooks {
  /** Each alert as it closes: the group's values and the alert's signal keys (`source/id`). */
  onAlert?(alert: { group: Record<string, string>; firstSeen: Date; lastSeen: Date; ids: readonly string[] }): void;
  /**
   * Awaited every `progressEvery` signals with the number read (phase `read`) or replayed (phase `replay`) so
   * far, after a turn of the event loop (so a server stays responsive); throwing stops the backtest (cancel).
   */
  onProgress?(count: number, phase: 'read' | 'replay'): Promise<void> | void;
  progressEvery?: number;
}

export async function backtestRule(db: Db, rule: Rule, since: Date, until: Date, hooks: BacktestHooks = {}): Promise<BacktestReport> {
  const compiled = compileRule(rule);
  const perDay: Record<string, number> = {};
  const perGroup = new Map<string, number>();
  const sizes: number[] = [];
  const engine = new CorrelationEngine([compiled], (event) => {
    if (event.kind !== 'closed') return;
    const day = new Date(Math.floor(event.alert.firstSeen / 1000)).toISOString().slice(0, 10);
    perDay[day] = (perDay[day] ?? 0) + 1;
    const key = JSON.stringify(event.group);
    perGroup.set(key, (perGroup.get(key) ?? 0) + 1);
    sizes.push(event.alert.ids.length);
    hooks.onAlert?.({ group: Object.fromEntries(rule.groupBy.map((field, i) => [field, event.group[i]!])), firstSeen: new Date(Math.floor(event.alert.firstSeen / 1000)), lastSeen: new Date(Math.floor(event.alert.lastSeen / 1000)), ids: event.alert.ids });
  });
  const every = hooks.onProgress ? (hooks.progressEvery ?? 1_000) : Infinity;

  const tick = async (n: number, phase: 'read' | 'replay') => {
    if (n % every !== 0) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await hooks.onProgress!(n, phase);
  };
  // Only the artifact fields the rule reads travel through the sort.
  const fields = [...new Set([...rule.groupBy, ...rule.parts.flatMap((p) => Object.keys(p.match.where ?? {}))])];
  const projection = { _id: 1, receivedAt: 1, 'signal.source': 1, 'signal.type': 1, 'signal.occurredAt': 1, 'signal.severity': 1, ...Object.fromEntries(fields.map((f) => [`signal.artifacts.${f}`, 1])) };
  const sorter = new ExternalSorter<Row>({ compare: (a, b) => a.t - b.t || a.r - b.r || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0), line: (row) => row.line, size: (row) => row.line.length * 2 + 96, parse: parseRow });
  let read = 0;
  const cursor = db.collection<StoredSignal>(SIGNALS_COLLECTION).find({ occurredAt: { $gte: since, $lte: until } }, { projection });
  try {
    for await (const doc of cursor) {
      const t = eventTimeMicros(doc.signal.occurredAt);
      if (t === undefined) continue; // stored signals were validated; an unreadable time cannot be placed
      const { source, type, occurredAt, severity, artifacts } = doc.signal;
      const r = doc.receivedAt.getTime();
      sorter.add({ t, r, k: doc._id, line: JSON.stringify([t, r, doc._id, source, type, occurredAt, severity ?? null, artifacts ?? {}]) });
      await tick(++read, 'read');
    }
  } catch (err) {
    // Stopped while reading (cancelled, or the database failed): the sorted() generator's end removes the spill files.
    const spent = sorter.sorted();
    spent.next();
    spent.return(undefined);
    throw err;
  }

  let count = 0;
  for (const row of sorter.sorted()) {
    const [, , id, source, type, occurredAt, severity, artifacts] = JSON.parse(row.line) as [number, number, string, string, string, string, Signal['severity'] | null, Signal['artifacts']];
    const s = prepareSignal({ id, source, type, occurredAt, severity: severity ?? undefined, artifacts }, count++);
    engine.process(s);
    if (count % EVICT_EVERY === 0) engine.evictIdle(s.t);
    await tick(count, 'replay');
  }
  engine.closeAll();

  sizes.sort((a, b) => a - b);
  const topGroups = [...perGroup.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP_GROUPS)
    .map(([key, alerts]) => {
      const values = JSON.parse(key) as string[];
      return { group: Object.fromEntries(rule.groupBy.map((field, i) => [field, values[i]!])), alerts };
    });
  return {
    rule: rule.id,
    since: since.toISOString(),
    until: until.toISOString(),
    signals: count,
    alerts: sizes.length,
    perDay: Object.fromEntries(Object.entries(perDay).sort(([a], [b]) => (a < b ? -1 : 1))),
    topGroups,
    signalsPerAlert: sizes.length
      ? {
          min: sizes[0]!,
          median: sizes[Math.floor((sizes.length - 1) / 2)]!,
          mean: Math.round((sizes.reduce((a, b) => a + b, 0) / sizes.length) * 100) / 100,
          max: sizes[sizes.length - 1]!,
        }
      : null,
  };
}
