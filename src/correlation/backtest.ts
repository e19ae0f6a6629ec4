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

export async function backtestRule(db: Db, rule: Rule, since: Date, until: Date): Promise<BacktestReport> {
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
  });

  let count = 0;
  const cursor = db
    .collection<StoredSignal>(SIGNALS_COLLECTION)
    .find({ occurredAt: { $gte: since, $lte: until } })
    .sort({ occurredAt: 1, receivedAt: 1, _id: 1 });
  for await (const doc of cursor) {
    const s = prepareSignal({ ...decodeSignal(doc), id: signalKey(doc.signal) }, count++);
    engine.process(s);
    if (count % EVICT_EVERY === 0) engine.evictIdle(s.t);
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
