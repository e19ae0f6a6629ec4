// Runs one search page (alerts, signals or cases) with the stores' own filters and keyset paging, and turns
// the documents into flat rows: the same rows the page shows and the CSV/JSON downloads contain.
import type { Correlation } from '../correlation/service.js';
import type { Cases } from '../cases/wire.js';
import type { AlertStatus } from '../correlation/alert-store.js';
import type { CaseStatus } from '../cases/model.js';
import { decodeSignal } from '../signals/stored-form.js';
import type { ResolvedSearch, SearchKind } from './search-query.js';

/** The histogram counts at most this many of the newest matches. */
export const HISTOGRAM_CAP = 20_000;

export type Row = Record<string, string | number | undefined>;

export interface SearchResult {
  kind: SearchKind;
  rows: Row[];
  next?: string;
  /** The `before` of the page before this one (keyset paging back). */
  prev?: string;
  /** Times of the newest matches (at most HISTOGRAM_CAP), for the histogram. */
  times: Date[];
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
  const cap = options.histogram ? HISTOGRAM_CAP : 0;
  if (q.kind === 'signals') {
    const filter = { ...common, source: q.source, type: q.type, severity: q.severity };
    const [{ docs, next, prev }, times] = await Promise.all([
      deps.correlation.signals.searchStored({ ...filter, limit: q.limit, cursor: q.cursor, before: q.before }),
      cap ? deps.correlation.signals.times(filter, cap) : Promise.resolve([]),
    ]);
    const rows = docs.map((d) => {
      const signal = decodeSignal(d);
      return { key: d._id, occurredAt: d.occurredAt.toISOString(), source: signal.source, type: signal.type, severity: signal.severity, title: signal.title, artifacts: pairs(signal.artifacts), link: signal.link && /^https?:\/\//i.test(signal.link) ? signal.link : undefined };
    });
    return { kind: 'signals', rows, next, prev, times };
  }
  if (q.kind === 'cases') {
    const filter = { ...common, team: q.team, status: q.status as CaseStatus | undefined, severity: q.severity === 'info' ? undefined : q.severity };
    const { cases, next, prev } = await deps.cases.store.search({ ...filter, limit: q.limit, cursor: q.cursor, before: q.before });
    // Cases are few next to signals: the histogram reads their creation times from a capped search.
    const times = cap ? (await deps.cases.store.search({ ...filter, limit: Math.min(cap, 5000) })).cases.map((c) => c.createdAt) : [];
    const rows = cases.map((c) => ({ number: c.number, createdAt: c.createdAt.toISOString(), title: c.title, status: c.status, severity: c.severity, team: c.team, assignee: c.assignee, alerts: c.alertIds.length }));
    return { kind: 'cases', rows, next, prev, times };
  }
  const filter = { ...common, rule: q.rule, team: q.team, status: q.status as AlertStatus | undefined, severity: q.severity };
  const [{ alerts, next, prev }, times] = await Promise.all([
    deps.correlation.alerts.search({ ...filter, limit: q.limit, cursor: q.cursor, before: q.before }),
    cap ? deps.correlation.alerts.times(filter, cap) : Promise.resolve([]),
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
  return { kind: 'alerts', rows, next, prev, times };
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
