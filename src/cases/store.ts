// Cases in MongoDB: the cases, their events, and the number counter. Where replicas race, a unique _id insert
// is the arbiter (FerretDB's findAndModify and conditional updates are not atomic, so a `$inc` counter could
// hand one number to two cases): the next number is claimed by inserting `case-number:<n>`, the next event of
// a case by inserting `<caseId>:<seq>`; whoever loses tries n + 1.
import { randomBytes } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { ensureCollectionIndexes } from '../store/collections.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { GENESIS_HASH, canonicalPayload, entryHash, verifyChain, type VerifyResult } from './chain.js';
import { decodeCursor, keysetPage } from '../store/keyset.js';
import type { Actor, CaseEvent, CaseEventData, CaseEventKind, CaseQuery, CaseStatus, StoredCase } from './model.js';

type WriteErrorLike = { index?: number; code?: number };

/** appendEvents failed after the first events were written: those are in the log, the rest are not. */
export class PartialAppendError extends Error {
  override readonly name = 'PartialAppendError';
  constructor(readonly appended: CaseEvent[], override readonly cause: unknown) {
    super(`only ${appended.length} case events were appended: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** One event to append (appendEvents); `at` defaults to now. */
export interface NewCaseEvent<K extends CaseEventKind = CaseEventKind> {
  actor: Actor;
  kind: K;
  data: CaseEventData[K];
  at?: Date;
}
import type { CaseSeverity } from './backend.js';

export const CASE_COLLECTIONS = {
  cases: 'cases',
  events: 'case_events',
  numbers: 'case_numbers',
  audit: 'case_audit',
  leases: 'case_sync_leases',
} as const;

/** More attempts than replicas could ever race for one number. */
const MAX_CLAIMS = 1000;


export function newCaseId(): string {
  return randomBytes(12).toString('hex');
}

export function eventId(caseId: string, seq: number): string {
  return `${caseId}:${String(seq).padStart(8, '0')}`;
}

export class CaseStore {
  readonly cases: Collection<StoredCase>;
  readonly events: Collection<CaseEvent>;
  private readonly numbers: Collection<{ _id: string; caseId: string; at: Date }>;

  constructor(db: Db) {
    this.cases = db.collection<StoredCase>(CASE_COLLECTIONS.cases);
    this.events = db.collection<CaseEvent>(CASE_COLLECTIONS.events);
    this.numbers = db.collection(CASE_COLLECTIONS.numbers);
  }

  async ensureIndexes(): Promise<void> {
    // One after the other: the embedded FerretDB panics when collections are created at the same moment.
    await ensureCollectionIndexes(this.cases, [
      // scalar_ (src/store/collections.ts): number an integer, createdAt a date, status, team, assignee and
      // backend.sync strings, backend.nextAttemptAt a date (StoredCase); search pages by {number: -1}. The
      // unique index keeps its name: renaming drops it first, and numbers are allocated meanwhile.
      { key: { number: 1 }, name: 'number', unique: true },
      { key: { createdAt: -1 }, name: 'scalar_createdAt', replaces: 'createdAt' },
      { key: { status: 1, number: -1 }, name: 'scalar_status', replaces: 'status' },
      { key: { team: 1, number: -1 }, name: 'scalar_team', replaces: 'team' },
      { key: { assignee: 1, number: -1 }, name: 'scalar_assignee', replaces: 'assignee' },
      // arrays: multi_, one key path (src/store/collections.ts)
      { key: { alertIds: 1 }, name: 'multi_alertIds', replaces: 'alertIds' },
      { key: { artifacts: 1 }, name: 'multi_artifacts', replaces: 'artifacts' },
      { key: { 'backend.sync': 1, 'backend.nextAttemptAt': 1 }, name: 'scalar_sync', replaces: 'sync' },
    ]);
    // caseId a string, seq an integer (appendEvent)
    await ensureCollectionIndexes(this.events, [{ key: { caseId: 1, seq: 1 }, name: 'scalar_caseSeq', replaces: 'caseSeq' }]);
  }

  /** The next case number, claimed by a unique insert: two replicas asking at once get two numbers. */
  async claimNumber(caseId: string): Promise<number> {
    const last = await this.cases.find({}, { projection: { number: 1 } }).sort({ number: -1 }).limit(1).next();
    let n = (last?.number ?? 0) + 1;
    for (let attempt = 0; attempt < MAX_CLAIMS; attempt++, n++) {
      try {
        await this.numbers.insertOne({ _id: `case-number:${n}`, caseId, at: new Date() });
        return n;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    throw new Error(`could not claim a case number after ${MAX_CLAIMS} attempts`);
  }

  /**
   * Appends an event to the case's hash chain (src/cases/chain.ts) with the next sequence number. The unique
   * event _id decides between writers: one that loses a sequence number reads the entry that won it and
   * chains onto that one, so two replicas appending at once never fork the chain. `lastSeq` on the case is
   * only a hint of where to start; the previous hash is always read from the log itself. Never updates.
   */
  async appendEvent<K extends CaseEventKind>(caseId: string, actor: Actor, kind: K, data: CaseEventData[K], at = new Date()): Promise<CaseEvent<K>> {
    return (await this.appendEvents(caseId, [{ actor, kind, data, at }]))[0] as CaseEvent<K>;
  }

  /**
   * Appends several events in this order, chained in memory and written with one ordered insertMany (a busy
   * case channel's messages: a round trip per batch instead of several per message). A lost sequence number
   * ends the batch there; the rest chain onto the entry that won it, as appendEvent does.
   */
  async appendEvents(caseId: string, items: NewCaseEvent[]): Promise<CaseEvent[]> {
    if (items.length === 0) return [];
    let rest = items.map((item) => ({ ...item, data: canonicalPayload(item.data), at: item.at ?? new Date() }));
    const hint = (await this.cases.findOne({ _id: caseId }, { projection: { lastSeq: 1 } }))?.lastSeq ?? 0;
    let prev = await this.entryAtOrLast(caseId, hint);
    const appended: CaseEvent[] = [];
    for (let attempt = 0; attempt < MAX_CLAIMS && rest.length > 0; attempt++) {
      const batch: CaseEvent[] = [];
      for (const { actor, kind, data, at } of rest) {
        const last = batch.at(-1) ?? prev;
        const seq = (last?.seq ?? 0) + 1;
        const content = { caseId, seq, at, actor, kind, data, prevHash: last ? (last.hash ?? GENESIS_HASH) : GENESIS_HASH };
        batch.push({ _id: eventId(caseId, seq), ...content, hash: entryHash(content) } as CaseEvent);
      }
      let written: number;
      try {
        written = await this.insertUntilTaken(batch);
      } catch (err) {
        if (appended.length > 0) throw new PartialAppendError(appended, err);
        throw err;
      }
      appended.push(...batch.slice(0, written));
      if (written === batch.length) break;
      // Another writer took batch[written]'s sequence number: its entry is the one to chain onto.
      rest = rest.slice(written);
      const taken = batch[written]!;
      prev = (await this.events.findOne({ _id: taken._id })) ?? (await this.lastEntry(caseId)) ?? undefined;
    }
    if (appended.length < items.length) throw new Error(`case ${caseId}: could not append an event after ${MAX_CLAIMS} attempts`);
    const head = appended.at(-1)!;
    // A hint for the next append and the head shown on the case; set together so they always belong together.
    await this.cases.updateOne({ _id: caseId, lastSeq: { $lt: head.seq } }, { $set: { lastSeq: head.seq, headHash: head.hash } });
    return appended;
  }

  /** Inserts in order until a sequence number is found taken; how many were written. Other errors throw. */
  private async insertUntilTaken(batch: CaseEvent[]): Promise<number> {
    try {
      if (batch.length === 1) await this.events.insertOne(batch[0]!);
      else await this.events.insertMany(batch, { ordered: true });
      return batch.length;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      if (batch.length === 1) return 0;
      // An ordered insertMany stops at its first error and says where (the driver gives one error or a list).
      const errors = (err as { writeErrors?: WriteErrorLike[] | WriteErrorLike }).writeErrors;
      const first = Array.isArray(errors) ? errors[0] : errors;
      if (typeof first?.index !== 'number' || first.code !== 11000) throw err;
      return first.index;
    }
  }

  /** The entry at `seq` (read by _id), or the last one when that is missing; undefined for an empty log. */
  private async entryAtOrLast(caseId: string, seq: number): Promise<Pick<CaseEvent, 'seq' | 'hash'> | undefined> {
    if (seq > 0) {
      const found = await this.events.findOne({ _id: eventId(caseId, seq) }, { projection: { seq: 1, hash: 1 } });
      if (found) return found;
    }
    return (await this.lastEntry(caseId)) ?? undefined;
  }

  private lastEntry(caseId: string): Promise<Pick<CaseEvent, 'seq' | 'hash'> | null> {
    return this.events.find({ caseId }, { projection: { seq: 1, hash: 1 } }).sort({ seq: -1 }).limit(1).next();
  }

  /** The whole log of a case in sequence order, from a cursor (nothing held). */
  log(caseId: string): AsyncIterable<CaseEvent> {
    return this.events.find({ caseId }).sort({ seq: 1 });
  }

  /** Recomputes the case's chain (src/cases/chain.ts): the first entry that differs, or the entries and head. */
  async verify(c: Pick<StoredCase, '_id' | 'lastSeq'>): Promise<VerifyResult> {
    return verifyChain(c._id, this.log(c._id), c.lastSeq);
  }

  /** Events of a case after `seq`, in order. */
  eventsAfter(caseId: string, seq: number, limit = 100): Promise<CaseEvent[]> {
    return this.events.find({ caseId, seq: { $gt: seq } }).sort({ seq: 1 }).limit(limit).toArray();
  }

  get(id: string): Promise<StoredCase | null> {
    return this.cases.findOne({ _id: id });
  }

  getByNumber(number: number): Promise<StoredCase | null> {
    return this.cases.findOne({ number });
  }

  find(ref: { id: string } | { number: number }): Promise<StoredCase | null> {
    return 'id' in ref ? this.get(ref.id) : this.getByNumber(ref.number);
  }

  /** Cases that hold the alert, newest first. */
  forAlert(alertId: string): Promise<StoredCase[]> {
    return this.cases.find({ alertIds: alertId }).sort({ createdAt: -1 }).limit(20).toArray();
  }

  /** forAlert of several alerts in one read (a burst of alert cards): alert id -> its cases, newest first. */
  async forAlerts(alertIds: string[]): Promise<Map<string, StoredCase[]>> {
    const wanted = new Set(alertIds);
    const byAlert = new Map<string, StoredCase[]>(alertIds.map((id) => [id, []]));
    if (!wanted.size) return byAlert;
    const cases = await this.cases.find({ alertIds: { $in: [...wanted] } }).sort({ createdAt: -1 }).toArray();
    for (const c of cases) for (const id of c.alertIds) if (wanted.has(id) && byAlert.get(id)!.length < 20) byAlert.get(id)!.push(c);
    return byAlert;
  }

  /** The query's filter without paging. */
  filterOf(query: Omit<CaseQuery, 'limit' | 'cursor' | 'before'>): Filter<StoredCase> {
    const filter: Filter<StoredCase> = {};
    if (query.status) filter.status = query.status;
    if (query.team) filter.team = query.team;
    if (query.assignee) filter.assignee = query.assignee;
    if (query.artifact) filter.artifacts = query.artifact;
    if (query.severity) filter.severity = query.severity;
    const created: Record<string, Date> = {};
    if (query.since) created.$gte = query.since;
    if (query.until) created.$lte = query.until;
    if (Object.keys(created).length) filter.createdAt = created;
    return filter;
  }

  async search(query: CaseQuery): Promise<{ cases: StoredCase[]; next?: string; prev?: string }> {
    const filter = this.filterOf(query);
    // Numbers are unique: the keyset is the number alone (no _id tie-break), so the {number} index serves the sort.
    const token = query.before ?? query.cursor;
    const at = token ? decodeCursor(token) : undefined;
    if (token && !at) throw new Error('invalid cursor');
    const boundary = at ? { number: query.before ? { $gt: at[0] } : { $lt: at[0] } } : undefined;
    const docs = await this.cases.find(boundary ? { $and: [filter, boundary] } : filter).sort({ number: query.before ? 1 : -1 }).limit(query.limit + 1).toArray();
    const { page, next, prev } = keysetPage(docs, query.limit, (c) => c.number, query);
    return { cases: page, next, prev };
  }
}
