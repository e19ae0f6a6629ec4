// The audit of every change to correlation and enrichment rules (and every refused attempt), whoever makes it:
// the console, the HTTP API or Slack. One record per change in `rule_audit`, beside the `audit` log line the
// caller writes; the record keeps the definitions before and after, so a change can be read back and undone.
import type { Collection, Db } from 'mongodb';
import { ensureCollectionIndexes } from '../store/collections.js';

export const RULE_AUDIT_COLLECTION = 'rule_audit';

export type RuleAuditAction = 'created' | 'edited' | 'enabled' | 'disabled' | 'enrichment_edited';

export interface RuleAuditRecord {
  at: Date;
  /** `U…` (Slack user), `api:<key>`, `console:<user>`. */
  actor: string;
  action: RuleAuditAction;
  /** The rule id, or `enrichment` for the enrichment set. */
  subject: string;
  outcome: 'done' | 'denied';
  /** The version the change produced (done) or was asked for. */
  version?: number;
  before?: unknown;
  after?: unknown;
}

export class RuleAudit {
  readonly collection: Collection<RuleAuditRecord>;

  constructor(db: Db) {
    this.collection = db.collection<RuleAuditRecord>(RULE_AUDIT_COLLECTION);
  }

  async record(entry: Omit<RuleAuditRecord, 'at'> & { at?: Date }): Promise<void> {
    await this.collection.insertOne({ ...entry, at: entry.at ?? new Date() });
  }

  /** The newest records first, optionally for one subject. */
  async list(subject?: string, limit = 50): Promise<RuleAuditRecord[]> {
    return this.collection.find(subject ? { subject } : {}, { projection: { _id: 0 } }).sort({ at: -1 }).limit(limit).toArray();
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.collection, [{ key: { subject: 1, at: -1 }, name: 'subject_at' }]);
  }
}
