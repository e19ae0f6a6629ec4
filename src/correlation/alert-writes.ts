// What a step of the engine did to a group's alerts, as idempotent writes: creating an episode's alert (its _id
// is derived from rule version, group and episode, so a second create of one episode is refused by the unique
// index) and bringing an alert up to its episode's last state. Applying a write twice changes nothing that
// matters, which is what lets the live correlator replay its log after a crash.
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import type { Logger } from '../app/logger.js';
import { severityRank, type Signal } from '../signals/signal.js';
import { artifactValuesOf } from '../signals/store.js';
import type { OpenAlert, StepEvent } from './engine.js';
import { alertId, severityOfRank, type AlertEvents, type AlertHistoryEntry, type StoredAlert } from './alert-store.js';
import type { ActiveRule } from './rule-store.js';
import { duplicateIndexes } from './leases.js';
import { bulkWriteInChunks } from '../store/bulk-writes.js';

export type AlertOp =
  /** `folded`: updates merged into the create (signals appended, the episode ended) since it was made. */
  | { kind: 'create'; doc: StoredAlert; folded?: Extract<AlertOp, { kind: 'update' }> }
  | {
      kind: 'update';
      id: string;
      set: Pick<StoredAlert, 'signals' | 'signalCount' | 'firstSeen' | 'lastSeen' | 'active' | 'updatedAt'>;
      rank: number;
      artifacts: string[];
      history: AlertHistoryEntry[];
      appended: string[];
    };

/** The alert writes for one group's step events: the last state of each touched episode. */
export async function alertOps(active: ActiveRule, group: string[], events: StepEvent[], load: (keys: string[]) => Promise<Signal[]>): Promise<AlertOp[]> {
  const touched = new Map<number, { alert: OpenAlert; opened: boolean; ended: boolean; appended: string[] }>();
  for (const e of events) {
    const t = touched.get(e.alert.episode) ?? { alert: e.alert, opened: false, ended: false, appended: [] };
    if (e.kind === 'opened') t.opened = true;
    if (e.kind === 'closed') t.ended = true;
    if (e.kind === 'appended') t.appended.push(e.signal.id);
    touched.set(e.alert.episode, t);
  }
  const ops: AlertOp[] = [];
  const now = new Date();
  for (const { alert, opened, ended, appended } of touched.values()) {
    const id = alertId(active.compiled.key, JSON.stringify(group), alert.episode);
    const keys = alert.signals.map((h) => h.id);
    const firstSeen = new Date(Math.floor(alert.firstSeen / 1000));
    const lastSeen = new Date(Math.floor(alert.lastSeen / 1000));
    if (opened) {
      const { rule, version } = active;
      const held = await load(keys);
      const rank = Math.max(severityRank(rule.severity), ...held.map((s) => (s.severity ? severityRank(s.severity) : 0)));
      ops.push({
        kind: 'create',
        doc: {
          _id: id,
          ruleId: rule.id,
          ruleVersion: version,
          ...(rule.name ? { ruleName: rule.name } : {}),
          ...(rule.template ? { template: rule.template } : {}),
          group: Object.fromEntries(rule.groupBy.map((field, i) => [field, group[i]!])),
          episode: alert.episode,
          signals: keys,
          signalCount: keys.length,
          firstSeen,
          lastSeen,
          severity: severityOfRank(rank),
          severityRank: rank,
          ...teamOf(rule.team, held),
          status: 'open',
          active: !ended,
          artifacts: [...new Set(held.flatMap((s) => artifactValuesOf(s)))],
          ...linkOf(held),
          history: [{ at: now, kind: 'created', signals: keys }],
          createdAt: now,
          updatedAt: now,
        },
      });
    } else {
      const added = await load(appended);
      const history: AlertHistoryEntry[] = [];
      if (appended.length) history.push({ at: now, kind: 'appended', signals: appended });
      if (ended) history.push({ at: now, kind: 'ended' });
      ops.push({
        kind: 'update',
        id,
        set: { signals: keys, signalCount: keys.length, firstSeen, lastSeen, active: !ended, updatedAt: now },
        rank: Math.max(0, ...added.map((s) => (s.severity ? severityRank(s.severity) : 0))),
        artifacts: [...new Set(added.flatMap((s) => artifactValuesOf(s)))],
        history,
        appended,
      });
    }
  }
  return ops;
}

/**
 * Folds writes to one alert into one: a create followed by updates becomes the create of the final state, and
 * several updates one update (fewer round trips per batch).
 */
export function coalesce(ops: AlertOp[]): AlertOp[] {
  const byId = new Map<string, AlertOp>();
  for (const op of ops) {
    const id = op.kind === 'create' ? op.doc._id : op.id;
    const prev = byId.get(id);
    if (!prev || op.kind === 'create') {
      byId.set(id, op);
    } else if (prev.kind === 'create') {
      const doc = prev.doc;
      const rank = Math.max(doc.severityRank, op.rank);
      byId.set(id, {
        kind: 'create',
        doc: { ...doc, ...op.set, severityRank: rank, severity: severityOfRank(rank), artifacts: [...new Set([...doc.artifacts, ...op.artifacts])], history: [...doc.history, ...op.history] },
        folded: prev.folded ? merge(prev.folded, op) : op,
      });
    } else {
      byId.set(id, merge(prev, op));
    }
  }
  return [...byId.values()];
}

export type UpdateOp = Extract<AlertOp, { kind: 'update' }>;

export function merge(prev: UpdateOp, op: UpdateOp): UpdateOp {
  return { ...op, rank: Math.max(prev.rank, op.rank), artifacts: [...new Set([...prev.artifacts, ...op.artifacts])], history: [...prev.history, ...op.history], appended: [...prev.appended, ...op.appended] };
}

/**
 * Severity ranks seen stored, by alert id (a lower bound: a stored rank only rises), so an update whose signals
 * cannot raise it is the plain statement, not the conditional raise (which may miss and need the plain one after).
 * Bounded: the oldest are forgotten (then the raise is tried).
 */
export class StoredRanks {
  private readonly ranks = new Map<string, number>();
  constructor(private readonly limit = 100_000) {}

  get(id: string): number | undefined {
    return this.ranks.get(id);
  }

  saw(id: string, rank: number): void {
    const known = this.ranks.get(id);
    if (known !== undefined && known >= rank) return;
    this.ranks.delete(id);
    this.ranks.set(id, rank);
    if (this.ranks.size > this.limit) this.ranks.delete(this.ranks.keys().next().value!);
  }
}

interface ApplyDeps {
  alerts: Collection<StoredAlert>;
  events: AlertEvents;
  logger: Logger;
  ranks?: StoredRanks;
}

/**
 * Applies alert writes: every create in one insertMany, then the updates in a few bulkWrites
 * (store/bulk-writes.ts), then one read of the updated alerts for their events. Throws when MongoDB fails: the
 * writes are idempotent, applied again.
 */
export async function applyOps(ops: AlertOp[], deps: ApplyDeps): Promise<void> {
  const creates = ops.flatMap((op) => (op.kind === 'create' ? [op.doc] : []));
  const updates = ops.flatMap((op) => (op.kind === 'update' ? [op] : []));
  if (creates.length) {
    let existing = new Set<number>();
    try {
      await deps.alerts.insertMany(creates, { ordered: false });
    } catch (err) {
      // The same episode already stored (a replay after a crash, or a zombie owner): one alert, not two.
      existing = duplicateIndexes(err);
    }
    const refused = ops.flatMap((op) => (op.kind === 'create' ? [op] : [])).filter((_, i) => existing.has(i));
    // A create refused as a duplicate that carries later updates (a replay made the episode and appended to it
    // in one batch): those updates still apply to the stored alert.
    for (const op of refused) if (op.folded) updates.push(op.folded);
    creates.forEach((doc, i) => {
      if (existing.has(i)) return;
      deps.ranks?.saw(doc._id, doc.severityRank);
      deps.logger.info({ alert: doc._id, rule: doc.ruleId, group: doc.group, signals: doc.signalCount }, 'alert created');
      deps.events.emit('created', doc);
    });
  }
  const updated = await updateAlerts(updates, deps);
  // After every write, in one go: listeners (card requests, cases) apply the whole burst with one read each.
  for (const [alert, change] of updated) deps.events.emit('updated', alert, change);
}

/**
 * The one update statement of an alert write: its new state and, when its appended signals may raise its
 * severity (above `known`, the rank seen stored), rank and severity raised together, on the condition that the
 * stored rank is lower (so the severity name never needs the stored document first). A conditional statement
 * that matched nothing (the stored rank was already as high) is followed by the plain one (`plainStatement`).
 * Both are idempotent and commute.
 */
function updateStatement(op: UpdateOp, known = 0): AnyBulkWriteOperation<StoredAlert> {
  // $addToSet, not $push: the same history entry applied twice is recorded once.
  const addToSet = { artifacts: { $each: op.artifacts }, history: { $each: op.history } };
  if (op.rank <= known) return plainStatement(op);
  return { updateOne: { filter: { _id: op.id, severityRank: { $lt: op.rank } }, update: { $set: { ...op.set, severityRank: op.rank, severity: severityOfRank(op.rank) }, $addToSet: addToSet } } };
}

function plainStatement(op: UpdateOp): AnyBulkWriteOperation<StoredAlert> {
  return { updateOne: { filter: { _id: op.id }, update: { $set: op.set, $addToSet: { artifacts: { $each: op.artifacts }, history: { $each: op.history } } } } };
}

/**
 * Applies the updates (a chunk of statements per command, one statement per alert); returns each updated alert
 * as stored after them.
 */
async function updateAlerts(ops: UpdateOp[], deps: ApplyDeps): Promise<[StoredAlert, { appended: string[] }][]> {
  if (!ops.length) return [];
  const conditional = new Set(ops.filter((op) => op.rank > (deps.ranks?.get(op.id) ?? 0)).map((op) => op.id));
  const { matched } = await bulkWriteInChunks(deps.alerts, ops.map((op) => updateStatement(op, deps.ranks?.get(op.id))));
  const read = (ids: string[]) => deps.alerts.find({ _id: { $in: ids } }).toArray();
  const after = new Map((await read([...new Set(ops.map((op) => op.id))])).map((a) => [a._id, a]));
  if (matched < ops.length && conditional.size) {
    // A raise that did not match (its rank was already stored) left the alert as it was: its updatedAt, set by
    // every write of this op, tells. Those get the plain statement, and are read again.
    const missed = ops.filter((op) => conditional.has(op.id) && after.has(op.id) && after.get(op.id)!.updatedAt.getTime() !== op.set.updatedAt.getTime());
    if (missed.length) {
      await bulkWriteInChunks(deps.alerts, missed.map(plainStatement));
      for (const a of await read(missed.map((op) => op.id))) after.set(a._id, a);
    }
  }
  const updated: [StoredAlert, { appended: string[] }][] = [];
  for (const op of ops) {
    const alert = after.get(op.id);
    if (alert) {
      deps.ranks?.saw(alert._id, alert.severityRank);
      updated.push([alert, { appended: op.appended }]);
    } else deps.logger.error({ alert: op.id }, 'an alert the correlation state holds is missing from the alerts collection');
  }
  return updated;
}

/** The rule's team, else a `Team:<name>` tag on a held signal. */
function teamOf(ruleTeam: string | undefined, held: Signal[]): { team?: string } {
  if (ruleTeam) return { team: ruleTeam };
  for (const s of held) {
    for (const tag of s.tags ?? []) {
      const m = /^team:\s*(.+)$/i.exec(tag);
      if (m) return { team: m[1]!.trim().toLowerCase() };
    }
  }
  return {};
}

function linkOf(held: Signal[]): { link?: string } {
  const link = held.find((s) => s.link)?.link;
  return link ? { link } : {};
}
