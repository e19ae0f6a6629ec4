// Alerts in MongoDB. An alert's _id is derived from (rule version, group, episode), so two replicas that both
// decide to open the same episode write the same _id and the unique index lets exactly one of them in.
// Human status (open, acknowledged, snoozed, closed) is separate from `active`: whether the engine may still
// append signals to it (SEMANTICS.md keepAlive / maxDuration).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Collection, Db, Filter } from 'mongodb';
import { SEVERITIES, type Severity } from '../signals/signal.js';
import { ensureCollectionIndexes } from '../store/collections.js';
import { keysetPage, keysetQuery } from '../store/keyset.js';

export const ALERTS_COLLECTION = 'alerts';
export const ALERT_STATUSES = ['open', 'acknowledged', 'snoozed', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertHistoryEntry {
  at: Date;
  kind: 'created' | 'appended' | 'acknowledged' | 'snoozed' | 'closed' | 'reopened' | 'ended' | 'confirmation';
  /** Slack user id (or "api:<key>") of a person's action. */
  by?: string;
  /** Signal keys appended. */
  signals?: string[];
  note?: string;
}

export interface StoredAlert {
  _id: string;
  ruleId: string;
  ruleVersion: number;
  ruleName?: string;
  template?: string;
  /** The normalized groupBy values. */
  group: Record<string, string>;
  episode: number;
  /** Held signals as `source/id` keys, in event-time order. */
  signals: string[];
  signalCount: number;
  firstSeen: Date;
  lastSeen: Date;
  /** The rule's severity raised to the highest held signal's. */
  severity: Severity;
  severityRank: number;
  team?: string;
  status: AlertStatus;
  /** True while the engine may append signals (the episode is not over). */
  active: boolean;
  /** `field=value` and bare `value` of every held signal's artifacts (normalized), for search. */
  artifacts: string[];
  /** A link to the source tool (the first held signal that has one). */
  link?: string;
  history: AlertHistoryEntry[];
  createdAt: Date;
  updatedAt: Date;
}

export function alertId(ruleKey: string, groupKey: string, episode: number): string {
  return createHash('sha256').update(`${ruleKey}\u0000${groupKey}\u0000${episode}`).digest('hex').slice(0, 24);
}

export function severityOfRank(rank: number): Severity {
  return SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, rank))]!;
}

export interface AlertQuery {
  rule?: string;
  status?: AlertStatus;
  team?: string;
  since?: Date;
  until?: Date;
  /** `field=value` or a bare value, normalized like grouping values. */
  artifact?: string;
  severity?: Severity;
  /** Alerts holding this signal (`source/id`). */
  signal?: string;
  limit: number;
  /** The `next` of the previous page (keyset: store/keyset.ts). */
  cursor?: string;
  /** The `prev` of the next page: the page before it. */
  before?: string;
}

export interface AlertEventMap {
  created: [StoredAlert];
  /** The alert after new signals were appended (or its episode ended). */
  updated: [StoredAlert, { appended: string[] }];
  /** A line another part added to the alert's history (a confirmation's answer or step): its card shows it now. */
  noted: [StoredAlert, AlertHistoryEntry];
}

/** In-process alert events; the alert-card layer subscribes. Listener errors are the listener's to handle. */
export class AlertEvents extends EventEmitter<AlertEventMap> {}

export class AlertStore {
  readonly collection: Collection<StoredAlert>;

  constructor(private readonly db: Db) {
    this.collection = db.collection<StoredAlert>(ALERTS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.collection, [
      // scalar_ (src/store/collections.ts): firstSeen a date, _id, ruleId, status, team and severity strings
      // (StoredAlert); the keyset order is {firstSeen: -1, _id: 1}.
      { key: { firstSeen: -1, _id: 1 }, name: 'scalar_firstSeen', replaces: 'firstSeen' },
      { key: { ruleId: 1, firstSeen: -1, _id: 1 }, name: 'scalar_rule', replaces: 'rule' },
      { key: { status: 1, firstSeen: -1, _id: 1 }, name: 'scalar_status', replaces: 'status' },
      { key: { team: 1, firstSeen: -1, _id: 1 }, name: 'scalar_team', replaces: 'team' },
      // An array: multi_ (ferretKey in src/store/collections.ts), the value then the keyset order on MongoDB.
      { key: { artifacts: 1, firstSeen: -1, _id: 1 }, ferretKey: { artifacts: 1 }, name: 'multi_artifacts', replaces: 'artifacts' },
      { key: { severity: 1, firstSeen: -1, _id: 1 }, name: 'scalar_severity', replaces: 'severity' },
      // lastSeen (a date, alert-writes.ts): a time range's `lastSeen >= since` is then tested by SQLite on the
      // embedded FerretDB while it walks another index (rule, firstSeen), not by decoding every older alert.
      { key: { lastSeen: -1 }, name: 'scalar_lastSeen' },
      // A signal's alerts (the console's links from a signal).
      { key: { signals: 1 }, name: 'signals' },
    ], this.db);
  }

  get(id: string): Promise<StoredAlert | null> {
    return this.collection.findOne({ _id: id });
  }

  /** The query's filter without paging. */
  filterOf(query: Omit<AlertQuery, 'limit' | 'cursor'>): Filter<StoredAlert> {
    const filter: Filter<StoredAlert> = {};
    if (query.rule) filter.ruleId = query.rule;
    if (query.status) filter.status = query.status;
    if (query.team) filter.team = query.team;
    if (query.artifact) filter.artifacts = query.artifact;
    if (query.severity) filter.severity = query.severity;
    if (query.signal) filter.signals = query.signal;
    // An alert is in a time range when it overlaps it.
    if (query.since) filter.lastSeen = { $gte: query.since };
    if (query.until) filter.firstSeen = { $lte: query.until };
    return filter;
  }

  /** Newest first (firstSeen, then _id), one keyset page at a time, forward or back. */
  async search(query: AlertQuery): Promise<{ alerts: StoredAlert[]; next?: string; prev?: string }> {
    const filter = this.filterOf(query);
    const { boundary, sort } = keysetQuery<StoredAlert>('firstSeen', query, true);
    const docs = await this.collection.find(boundary ? { $and: [filter, boundary] } : filter).sort(sort).limit(query.limit + 1).toArray();
    const { page, next, prev } = keysetPage(docs, query.limit, (a) => a.firstSeen, query);
    return { alerts: page, next, prev };
  }

  /** A person's status change, recorded in the history; returns the alert after the change. */
  async setStatus(id: string, status: AlertStatus, by: string, note?: string, extra: Record<string, unknown> = {}): Promise<StoredAlert | null> {
    const now = new Date();
    const kind = status === 'open' ? 'reopened' : status;
    return this.collection.findOneAndUpdate(
      { _id: id },
      { $set: { status, updatedAt: now, ...extra }, $push: { history: { at: now, kind, by, ...(note ? { note } : {}) } } },
      { returnDocument: 'after' },
    );
  }
}
