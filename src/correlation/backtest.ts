// Backtesting one rule on the signals stored in MongoDB (`taser simulate --rule ID --since 30d`): how often would
// it have fired? The stored signals stream through the same engine in event-time order, from an empty state;
// only in-window state and counters are kept, so memory stays flat however many signals the period holds.
import type { Db } from 'mongodb';
import { prepareSignal } from './engine.js';
import { CorrelationEngine } from './memory-engine.js';
import { compileRule, type Rule } from './rule.js';
import { decodeSignal } from '../signals/stored-form.js';
import { SIGNALS_COLLECTION, signalKey, type StoredSignal } from '../signals/store.js';

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
const TOP_GROUPS = 20;

/** For a caller that runs the backtest inside a server (the console's simulator): progress, samples, cancel. */
export interface BacktestHooks {
  /** Each alert as it closes: the group's values and the alert's signal keys (`source/id`). */
  onAlert?(alert: { group: Record<string, string>; firstSeen: Date; lastSeen: Date; ids: readonly string[] }): void;
  /**
   * Awaited every `progressEvery` signals with the number read so far, after a turn of the event loop (so a
   * server stays responsive); throwing stops the backtest with that error (cancel).
   */
  onProgress?(read: number): Promise<void> | void;
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

  let count = 0;
  const cursor = db
    .collection<StoredSignal>(SIGNALS_COLLECTION)
    .find({ occurredAt: { $gte: since, $lte: until } })
    .sort({ occurredAt: 1, receivedAt: 1, _id: 1 });
  for await (const doc of cursor) {
    const s = prepareSignal({ ...decodeSignal(doc), id: signalKey(doc.signal) }, count++);
    engine.process(s);
    if (count % EVICT_EVERY === 0) engine.evictIdle(s.t);
    if (count % every === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await hooks.onProgress!(count);
    }
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
