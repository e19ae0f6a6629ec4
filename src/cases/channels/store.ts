// Case channels in MongoDB: `case_channels` (a channel id -> its case, name, who made it, how far it is logged)
// and `case_channel_ledger`, the unique claim on every logged entry (_id `<channel>:<ts>:<kind>`). The ledger's
// unique _id is the arbiter between a live event, its Slack retry, a backfill and another replica.
import type { Collection, Db } from 'mongodb';
import { ensureCollectionIndexes } from '../../store/collections.js';
import { isDuplicateKeyError } from '../../store/mongo.js';
import type { Actor } from '../model.js';
import type { ChannelLogEntry } from './entry.js';

export const CHANNEL_COLLECTIONS = { channels: 'case_channels', ledger: 'case_channel_ledger' } as const;

export interface CaseChannelDoc {
  /** The Slack channel id. */
  _id: string;
  caseId: string;
  caseNumber: number;
  name: string;
  private: boolean;
  createdAt: Date;
  createdBy: Actor;
  /** The newest Slack ts logged from this channel, live or backfilled. */
  lastLoggedTs?: string;
  /** Every message up to this ts was reconciled with conversations.history by a complete backfill. */
  backfilledTs?: string;
  /** Thread roots seen in the channel (their new replies do not show in conversations.history). */
  threads: string[];
  /** The backend's task ("Slack #<name>", group slack) that holds this channel's log, once created. */
  taskId?: string;
}

export interface LedgerDoc {
  _id: string;
  caseId: string;
  channel: string;
  /** claimed: the case event may not be written yet; logged: it is, at `seq`. */
  state: 'claimed' | 'logged';
  claimedAt: Date;
  seq?: number;
  /** The whole entry, so a repair can append it when the claimer died before the case event. */
  entry: ChannelLogEntry;
}

export class CaseChannelStore {
  readonly channels: Collection<CaseChannelDoc>;
  readonly ledger: Collection<LedgerDoc>;

  constructor(db: Db) {
    this.channels = db.collection<CaseChannelDoc>(CHANNEL_COLLECTIONS.channels);
    this.ledger = db.collection<LedgerDoc>(CHANNEL_COLLECTIONS.ledger);
  }

  async ensureIndexes(): Promise<void> {
    // scalar_ (src/store/collections.ts): caseId and state strings, createdAt and claimedAt dates
    await ensureCollectionIndexes(this.channels, [{ key: { caseId: 1, createdAt: 1 }, name: 'scalar_case', replaces: 'case' }]);
    await ensureCollectionIndexes(this.ledger, [{ key: { state: 1, claimedAt: 1 }, name: 'scalar_state', replaces: 'state' }]);
  }

  add(doc: CaseChannelDoc): Promise<unknown> {
    return this.channels.insertOne(doc);
  }

  get(channel: string): Promise<CaseChannelDoc | null> {
    return this.channels.findOne({ _id: channel });
  }

  forCase(caseId: string): Promise<CaseChannelDoc[]> {
    return this.channels.find({ caseId }).sort({ createdAt: 1 }).toArray();
  }

  all(): Promise<CaseChannelDoc[]> {
    return this.channels.find({}).sort({ createdAt: 1 }).toArray();
  }

  /** True when this caller owns the entry now; false when it was claimed (logged, or being logged) before. */
  async claim(caseId: string, entry: ChannelLogEntry): Promise<boolean> {
    try {
      await this.ledger.insertOne({ _id: entry.key, caseId, channel: entry.channel, state: 'claimed', claimedAt: new Date(), entry });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async logged(key: string, seq: number): Promise<void> {
    await this.ledger.updateOne({ _id: key }, { $set: { state: 'logged', seq } });
  }

  /** Gives a claim back after its case event could not be written, so a later try (or backfill) logs it. */
  async release(key: string): Promise<void> {
    await this.ledger.deleteOne({ _id: key, state: 'claimed' });
  }

  staleClaims(before: Date, limit = 500): Promise<LedgerDoc[]> {
    return this.ledger.find({ state: 'claimed', claimedAt: { $lt: before } }).sort({ claimedAt: 1 }).limit(limit).toArray();
  }

  /** Moves the channel's marks forward after an entry is logged ($max: string ts of one width compare in order). */
  async noteLogged(channel: string, ts: string, threadTs?: string): Promise<void> {
    await this.channels.updateOne({ _id: channel }, { $max: { lastLoggedTs: ts } });
    if (threadTs) await this.noteThread(channel, threadTs);
  }

  async noteThread(channel: string, threadTs: string): Promise<void> {
    await this.channels.updateOne({ _id: channel }, { $addToSet: { threads: threadTs } });
  }

  async backfilled(channel: string, ts: string): Promise<void> {
    await this.channels.updateOne({ _id: channel }, { $max: { backfilledTs: ts } });
  }

  async setTask(channel: string, taskId: string): Promise<void> {
    await this.channels.updateOne({ _id: channel }, { $set: { taskId } });
  }
}
