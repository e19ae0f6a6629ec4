// Runs one search page (alerts, signals or cases) with the stores' own filters and keyset paging, and turns
// the documents into flat rows: the same rows the page shows and the CSV/JSON downloads contain.
import type { Collection, Document, Filter } from 'mongodb';
import type { Correlation } from '../correlation/service.js';
import type { Cases } from '../cases/wire.js';
import type { AlertStatus } from '../correlation/alert-store.js';
import type { CaseStatus } from '../cases/model.js';
import { decodeSignal } from '../signals/stored-form.js';
import type { ResolvedSearch, SearchKind } from './search-query.js';
import { countHistogram, type Histogram } from './histogram.js';
import { countByTime, timeSpan } from '../store/time-buckets.js';

export type Row = Record<string, string | number | undefined>;

export interface SearchResult {
  kind: SearchKind;
  rows: Row[];
  next?: string;
  /** The `before` of the page before this one (keyset paging back). */
  prev?: string;
  /** Every match counted per time bucket (asked for with `histogram`; undefined when nothing matches). */
  histogram?: Histogram;
}

export const COLUMNS: Record<SearchKind, string[]> = {
  alerts: ['id', 'firstSeen', 'lastSeen', 'rule', 'group', 'severity', 'status', 'team', 'signalCount'],
  signals: ['key', 'occurredAt', 'source', 'type', 'severity', 'title', 'artifacts', 'link'],
  cases: ['number', 'createdAt', 'title', 'status', 'severity', 'team', 'assignee', 'alerts'],
};

const pairs = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(' ');

export async function runSearch(deps: { correlation: Pick<Correlation, 'signals' | 'alerts'>; cases: Pick<Cases, 'store'> }, s: ResolvedSearch, options: { histogram: boolean }): Promise<SearchResult> {
  const q = s.query;
  const common = { since: s.since, until: s.until, artifact: s.artifact };
  const range = { from: s.since, to: s.until };
  // Every match per bucket of the time field the page sorts by (alerts: firstSeen, placed by when they began):
  // one count per bucket, or, with an artifact value (an array), the matches' times read once (time-buckets.ts).
  const how = s.artifact ? 'read' : 'count';
  const histogramOf = <T extends Document>(collection: Collection<T>, filter: Filter<T>, field: string, implied?: string) =>
    options.histogram ? countHistogram(range, () => timeSpan(collection, filter, field), (inner) => countByTime(collection, filter, field, inner, how, { implied })) : Promise.resolve(undefined);
  if (q.kind === 'signals') {
    const filter = { ...common, source: q.source, type: q.type, severity: q.severity };
    const store = deps.correlation.signals;
    const [{ docs, next, prev }, histogram] = await Promise.all([
      store.searchStored({ ...filter, limit: q.limit, cursor: q.cursor, before: q.before }),
      histogramOf(store.collection, store.filterOf(filter), 'occurredAt'),
    ]);
    const rows = docs.map((d) => {
      const signal = decodeSignal(d);
      return { key: d._id, occurredAt: d.occurredAt.toISOString(), source: signal.source, type: signal.type, severity: signal.severity, title: signal.title, artifacts: pairs(signal.artifacts), link: signal.link && /^https?:\/\//i.test(signal.link) ? signal.link : undefined };
    });
    return { kind: 'signals', rows, next, prev, histogram };
  }
  if (q.kind === 'cases') {
    const filter = { ...common, team: q.team, status: q.status as CaseStatus | undefined, severity: q.severity === 'info' ? undefined : q.severity };
    const store = deps.cases.store;
    const [{ cases, next, prev }, histogram] = await Promise.all([
      store.search({ ...filter, limit: q.limit, cursor: q.cursor, before: q.before }),
      histogramOf(store.cases, store.filterOf(filter), 'createdAt'),
    ]);
    const rows = cases.map((c) => ({ number: c.number, createdAt: c.createdAt.toISOString(), title: c.title, status: c.status, severity: c.severity, team: c.team, assignee: c.assignee, alerts: c.alertIds.length }));
    return { kind: 'cases', rows, next, prev, histogram };
  }
  const filter = { ...common, rule: q.rule, team: q.team, status: q.status as AlertStatus | undefined, severity: q.severity };
  const store = deps.correlation.alerts;
  const [{ alerts, next, prev }, histogram] = await Promise.all([
    store.search({ ...filter, limit: q.limit, cursor: q.cursor, before: q.before }),
    // an alert's lastSeen is never before its firstSeen: the range's `lastSeen >= since` holds in every bucket after the first
    histogramOf(store.collection, store.filterOf(filter), 'firstSeen', 'lastSeen'),
  ]);
  const rows = alerts.map((a) => ({
    id: a._id,
    firstSeen: a.firstSeen.toISOString(),
    lastSeen: a.lastSeen.toISOString(),
    rule: a.ruleName ? `${a.ruleId} (${a.ruleName})` : a.ruleId,
    group: pairs(a.group),
    severity: a.severity,
    status: a.status,
    team: a.team,
    signalCount: a.signalCount,
  }));
  return { kind: 'alerts', rows, next, prev, histogram };
}

/** RFC 4180 CSV; a cell that a spreadsheet would run as a formula (= + - @ at the start) gets a leading '. */
export function toCsv(columns: string[], rows: Row[]): string {
  const cell = (v: unknown) => {
    let s = v === undefined || v === null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
