// "All the usernames of new-location alerts in the last 30 days": each distinct value of one artifact field
// across the alerts of a time range (optionally of one rule), with how many alerts and signals carried it and
// when it was first and last seen. A cursor over the alerts and a Map of the distinct values: alerts without
// the field are skipped on their own artifact list; the others' signals are read by _id in batches.
import type { Db, Filter } from 'mongodb';
import { z } from 'zod';
import { canonicalField } from '../../alerts/artifacts.js';
import { ALERTS_COLLECTION, type StoredAlert } from '../../correlation/alert-store.js';
import { parseDuration } from '../../correlation/duration.js';
import { normalizeValues } from '../../signals/normalize.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../signals/store.js';
import { csvRow } from './csv.js';

const SIGNAL_BATCH = 500;
const MAX_SINCE_MS = 366 * 86_400_000;

/** The query of GET /api/v1/artifacts and `taser artifacts` (strings in, as a query string has them). */
export const artifactReportQuery = z.strictObject({
  field: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'an artifact field name: letters, digits, _ . - (at most 64)')
    .transform((f) => canonicalField(f)),
  rule: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a rule id: letters, digits, _ . : - (at most 128)').optional(),
  since: z
    .string()
    .default('30d')
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (typeof ms !== 'number') {
        ctx.addIssue({ code: 'custom', message: ms.error });
        return z.NEVER;
      }
      if (ms > MAX_SINCE_MS) {
        ctx.addIssue({ code: 'custom', message: 'at most 366 days' });
        return z.NEVER;
      }
      return ms;
    }),
  format: z.enum(['json', 'csv'], 'json or csv').default('json'),
});
export type ArtifactReportQuery = z.output<typeof artifactReportQuery>;

export interface ArtifactCount {
  value: string;
  alerts: number;
  signals: number;
  firstSeen: string;
  lastSeen: string;
}

interface Tally {
  alerts: number;
  signals: number;
  first: number;
  last: number;
}

/** Counts every value of the field; returns them by value. */
export async function countArtifacts(db: Db, q: Pick<ArtifactReportQuery, 'field' | 'rule' | 'since'>, now = new Date()): Promise<ArtifactCount[]> {
  const alerts = db.collection<StoredAlert>(ALERTS_COLLECTION);
  const signals = db.collection<StoredSignal>(SIGNALS_COLLECTION);
  const since = new Date(now.getTime() - q.since);
  const filter: Filter<StoredAlert> = { lastSeen: { $gte: since } };
  if (q.rule) filter.ruleId = q.rule;
  const values = new Map<string, Tally>();
  const fieldOf = (entry: string) => {
    const eq = entry.indexOf('=');
    return eq > 0 ? canonicalField(entry.slice(0, eq)) : undefined;
  };
  const cursor = alerts.find(filter, { projection: { _id: 1, signals: 1, artifacts: 1 } });
  for await (const alert of cursor) {
    if (!alert.artifacts.some((a) => fieldOf(a) === q.field)) continue;
    const inAlert = new Set<string>();
    for (let i = 0; i < alert.signals.length; i += SIGNAL_BATCH) {
      const keys = alert.signals.slice(i, i + SIGNAL_BATCH);
      for await (const doc of signals.find({ _id: { $in: keys } }, { projection: { 'signal.artifacts': 1, occurredAt: 1 } })) {
        const at = doc.occurredAt.getTime();
        if (at < since.getTime() || at > now.getTime()) continue;
        const seen = new Set<string>();
        for (const [field, raw] of Object.entries(doc.signal.artifacts ?? {})) {
          if (canonicalField(field) !== q.field) continue;
          for (const v of normalizeValues(raw)) seen.add(v);
        }
        for (const v of seen) {
          let t = values.get(v);
          if (!t) values.set(v, (t = { alerts: 0, signals: 0, first: at, last: at }));
          t.signals += 1;
          t.first = Math.min(t.first, at);
          t.last = Math.max(t.last, at);
          if (!inAlert.has(v)) {
            inAlert.add(v);
            t.alerts += 1;
          }
        }
      }
    }
  }
  return [...values.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([value, t]) => ({ value, alerts: t.alerts, signals: t.signals, firstSeen: new Date(t.first).toISOString(), lastSeen: new Date(t.last).toISOString() }));
}

export function artifactReportJson(q: ArtifactReportQuery, counts: ArtifactCount[], now: Date) {
  return { field: q.field, ...(q.rule ? { rule: q.rule } : {}), since: new Date(now.getTime() - q.since).toISOString(), until: now.toISOString(), values: counts };
}

export function* artifactReportCsv(counts: ArtifactCount[]): Generator<string> {
  yield csvRow(['value', 'alerts', 'signals', 'first_seen', 'last_seen']);
  for (const c of counts) yield csvRow([c.value, c.alerts, c.signals, c.firstSeen, c.lastSeen]);
}
