// Live correlation: the same step function as the simulator (engine.ts stepGroup), with each (rule version,
// group) state kept in MongoDB so every replica sees it. A batch of stored signals takes a lock on each group
// it touches (a document whose unique _id is the arbiter: the one insert that wins holds the group), steps
// the groups in memory, writes each state back, and releases the locks; groups another writer holds are
// retried shortly after. The unique-_id lock works on MongoDB and on the embedded FerretDB,
// whose conditional updates are not atomic. Alert creation has its own arbiter too: an alert's _id is derived
// from (rule version, group, episode) and unique, so one episode is one alert whatever races.
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import { severityRank, type Signal } from '../signals/signal.js';
import { artifactValuesOf, signalKey, type SignalStore } from '../signals/store.js';
import { decodeSignal } from '../signals/stored-form.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { emptyGroupState, groupKeys, matchMask, prepareSignal, stepGroup, type FreeSignal, type GroupState, type OpenAlert, type StepEvent } from './engine.js';
import { alertId, severityOfRank, type AlertEvents, type AlertHistoryEntry, type AlertStore, type StoredAlert } from './alert-store.js';
import type { ActiveRule, RuleStore } from './rule-store.js';
import { GroupLocks } from './group-locks.js';
import { ensureCollectionIndexes } from '../store/collections.js';

export const STATE_COLLECTION = 'correlation_state';

interface StateDoc {
  /** `${ruleKey}\u0001${JSON of the group values}` (JSON: a value may contain any character) */
  _id: string;
  ruleKey: string;
  group: string[];
  /** Bumped by every write: how many times the group was stepped. */
  v: number;
  state: GroupState;
  updatedAt: Date;
  /** Alert writes stored with the state they follow from, until they are applied. */
  pending?: AlertOp[];
}

/** One idempotent alert write. */
type AlertOp =
  | { kind: 'create'; doc: StoredAlert }
  | {
      kind: 'update';
      id: string;
      set: Pick<StoredAlert, 'signals' | 'signalCount' | 'firstSeen' | 'lastSeen' | 'active' | 'updatedAt'>;
      rank: number;
      artifacts: string[];
      history: AlertHistoryEntry[];
      appended: string[];
    };

interface GroupWork {
  id: string;
  active: ActiveRule;
  group: string[];
  items: FreeSignal[];
}

/** How long a batch waits for groups other writers hold before it gives up (the sweeper retries). */
const MAX_WAIT_MS = 60_000;
const RETRY_MS = 20;
const WRITE_CONCURRENCY = 8;
const SEP = '\u0001';
/** At most this many signals in one merged batch. */
const MAX_MERGED = 5_000;

interface QueuedBatch {
  signals: Signal[];
  resolve(): void;
  reject(err: unknown): void;
}

// Ties in event time are broken by arrival order: a process-wide counter that starts at the clock, so later
// batches (and, roughly, later processes) come after earlier ones.
let nextSeq = Date.now() * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}

/** A signal already in the group's state (a redelivery after a crash between stepping and marking). */
function alreadyStepped(state: GroupState, key: string): boolean {
  return state.free.some((f) => f.id === key) || (state.open?.signals.some((h) => h.id === key) ?? false);
}

export class LiveCorrelator {
  private readonly states: Collection<StateDoc>;
  private readonly locks: GroupLocks;
  private readonly queue: QueuedBatch[] = [];
  private draining = false;

  constructor(
    db: Db,
    private readonly deps: { rules: RuleStore; alerts: AlertStore; signals: SignalStore; events: AlertEvents; logger: Logger },
  ) {
    this.states = db.collection<StateDoc>(STATE_COLLECTION);
    this.locks = new GroupLocks(db);
  }

  /**
   * Correlates stored signals against every enabled rule. Throws if MongoDB fails (the sweeper retries).
   * Calls that overlap in this process are merged into one batch: they would contend for the same groups.
   */
  correlate(signals: Signal[]): Promise<void> {
    if (!signals.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ signals, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length) {
      const merged: QueuedBatch[] = [];
      let size = 0;
      while (this.queue.length && (merged.length === 0 || size + this.queue[0]!.signals.length <= MAX_MERGED)) {
        const next = this.queue.shift()!;
        merged.push(next);
        size += next.signals.length;
      }
      try {
        await this.correlateBatch(merged.flatMap((b) => b.signals));
        for (const b of merged) b.resolve();
      } catch (err) {
        for (const b of merged) b.reject(err);
      }
    }
    this.draining = false;
  }

  private async correlateBatch(signals: Signal[]): Promise<void> {
    const rules = await this.deps.rules.active();
    if (!rules.length || !signals.length) return;
    const byKey = new Map(signals.map((s) => [signalKey(s), s]));
    const prepared = signals
      .map((s) => prepareSignal({ ...s, id: signalKey(s) }, nextSeq++))
      .sort((a, b) => a.t - b.t || a.seq - b.seq);

    let work = new Map<string, GroupWork>();
    for (const s of prepared) {
      for (const active of rules) {
        const mask = matchMask(active.compiled, s);
        if (mask === 0) continue;
        for (const group of groupKeys(active.compiled, s)) {
          const id = `${active.compiled.key}${SEP}${JSON.stringify(group)}`;
          let entry = work.get(id);
          if (!entry) work.set(id, (entry = { id, active, group, items: [] }));
          entry.items.push({ id: s.id, t: s.t, seq: s.seq, mask });
        }
      }
    }

    const deadline = Date.now() + MAX_WAIT_MS;
    while (work.size > 0) {
      if (Date.now() > deadline) throw new Error(`${work.size} correlation groups stayed locked by other writers; the sweeper will retry`);
      const lock = await this.locks.acquire([...work.keys()]);
      const pending = new Map<string, GroupWork>();
      try {
        for (const [id, entry] of work) if (!lock.held.has(id)) pending.set(id, entry);
        const held = [...lock.held].map((id) => work.get(id)!);
        const docs = held.length ? new Map((await this.states.find({ _id: { $in: [...lock.held] } }).toArray()).map((d) => [d._id, d])) : new Map<string, StateDoc>();
        await inParallel(held, WRITE_CONCURRENCY, async (entry) => {
          const won = await this.stepAndWrite(entry, docs.get(entry.id), byKey);
          if (!won) pending.set(entry.id, entry);
        });
      } finally {
        await lock.release();
      }
      work = pending;
      if (work.size) await sleep(RETRY_MS + Math.random() * RETRY_MS);
    }
  }

  /** Steps one group and writes it; false when another writer changed the group first. */
  private async stepAndWrite(entry: GroupWork, doc: StateDoc | undefined, byKey: Map<string, Signal>): Promise<boolean> {
    // Alert writes a previous writer stored with its state but could not finish (a crash, a database error).
    if (doc?.pending?.length) {
      await this.applyOps(doc.pending);
      await this.states.updateOne({ _id: doc._id }, { $unset: { pending: '' } });
    }
    const state = doc?.state ?? emptyGroupState();
    const events: StepEvent[] = [];
    let stepped = 0;
    for (const item of entry.items) {
      if (alreadyStepped(state, item.id)) continue;
      stepGroup(entry.active.compiled, state, item, events);
      stepped++;
    }
    if (stepped === 0) return true;
    const ops = await this.alertOps(entry, events, byKey);
    const now = new Date();
    const v = (doc?.v ?? 0) + 1;
    try {
      // The alert writes go into the state document with the state itself: one atomic write, so they are
      // never lost between the two, whoever finishes them.
      const fields = { v, state, updatedAt: now, ...(ops.length ? { pending: ops } : {}) };
      if (!doc) {
        await this.states.insertOne({ _id: entry.id, ruleKey: entry.active.compiled.key, group: entry.group, ...fields });
      } else {
        // Filtered on _id alone (the group lock makes this writer the only one): the embedded FerretDB uses its
        // index only for a bare _id, and scans the whole collection for anything more.
        await this.states.updateOne({ _id: entry.id }, ops.length ? { $set: fields } : { $set: fields, $unset: { pending: '' } });
      }
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
    if (ops.length) {
      await this.applyOps(ops);
      await this.states.updateOne({ _id: entry.id }, { $unset: { pending: '' } });
    }
    return true;
  }

  /** What the step did to the alerts, as idempotent writes: the last state of each touched episode. */
  private async alertOps(entry: GroupWork, events: StepEvent[], byKey: Map<string, Signal>): Promise<AlertOp[]> {
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
      const id = alertId(entry.active.compiled.key, JSON.stringify(entry.group), alert.episode);
      const keys = alert.signals.map((h) => h.id);
      const firstSeen = new Date(Math.floor(alert.firstSeen / 1000));
      const lastSeen = new Date(Math.floor(alert.lastSeen / 1000));
      if (opened) {
        const { rule, version } = entry.active;
        const held = await this.loadSignals(keys, byKey);
        const rank = Math.max(severityRank(rule.severity), ...held.map((s) => (s.severity ? severityRank(s.severity) : 0)));
        ops.push({
          kind: 'create',
          doc: {
            _id: id,
            ruleId: rule.id,
            ruleVersion: version,
            ...(rule.name ? { ruleName: rule.name } : {}),
            ...(rule.template ? { template: rule.template } : {}),
            group: Object.fromEntries(rule.groupBy.map((field, i) => [field, entry.group[i]!])),
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
        const added = await this.loadSignals(appended, byKey);
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

  /** Held signals that are not in this batch (free signals from earlier batches) come from the store. */
  private async loadSignals(keys: string[], byKey: Map<string, Signal>): Promise<Signal[]> {
    const missing = keys.filter((k) => !byKey.has(k));
    const stored = missing.length ? await this.deps.signals.collection.find({ _id: { $in: missing } }).toArray() : [];
    const found = new Map(stored.map((d) => [d._id, decodeSignal(d)]));
    return keys.map((k) => byKey.get(k) ?? found.get(k)).filter((s): s is Signal => s !== undefined);
  }

  /** Applies alert writes; each is idempotent, so applying one twice (after a failure) changes nothing. */
  private async applyOps(ops: AlertOp[]): Promise<void> {
    for (const op of ops) {
      if (op.kind === 'create') await this.createAlert(op.doc);
      else await this.updateAlert(op);
    }
  }

  private async createAlert(doc: StoredAlert): Promise<void> {
    try {
      await this.deps.alerts.collection.insertOne(doc);
    } catch (err) {
      // The same episode was already stored (a retry after a failure, or a racing writer): one alert, not two.
      if (isDuplicateKeyError(err)) return;
      throw err;
    }
    this.deps.logger.info({ alert: doc._id, rule: doc.ruleId, group: doc.group, signals: doc.signalCount }, 'alert created');
    this.deps.events.emit('created', doc);
  }

  private async updateAlert(op: Extract<AlertOp, { kind: 'update' }>): Promise<void> {
    const updated = await this.deps.alerts.collection.findOneAndUpdate(
      { _id: op.id },
      {
        $set: op.set,
        $max: { severityRank: op.rank },
        // $addToSet, not $push: the same history entry applied twice is recorded once.
        $addToSet: { artifacts: { $each: op.artifacts }, history: { $each: op.history } },
      },
      { returnDocument: 'after' },
    );
    if (!updated) {
      this.deps.logger.error({ alert: op.id }, 'an alert the correlation state holds is missing from the alerts collection');
      return;
    }
    if (updated.severity !== severityOfRank(updated.severityRank)) {
      updated.severity = severityOfRank(updated.severityRank);
      await this.deps.alerts.collection.updateOne({ _id: op.id }, { $set: { severity: updated.severity } });
    }
    this.deps.events.emit('updated', updated, { appended: op.appended });
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.states, [{ key: { ruleKey: 1 }, name: 'ruleKey' }]);
  }
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
