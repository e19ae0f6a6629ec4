// Which interactive requests already ran: a replay (or a double click) of one runs nothing. The unique `_id`
// is the arbiter, so it holds across replicas and on a store whose conditional updates are not atomic. Keys
// arriving together are claimed in one unordered insertMany (the server answers per document: a duplicate
// key means "already ran"), so a burst of clicks costs a few round trips, not one each.
import { createHash } from 'node:crypto';
import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import { CORE_COLLECTIONS } from '../store/collections.js';

interface Claim {
  _id: string;
  resolve(first: boolean): void;
  reject(err: unknown): void;
}

export class InteractionLedger {
  private readonly collection: Collection<{ _id: string; receivedAt: Date }>;
  private pending: Claim[] = [];
  private scheduled = false;

  constructor(
    db: Db,
    /** Claims gathered into one insertMany at most. */
    private readonly maxBatch = 500,
  ) {
    this.collection = db.collection(CORE_COLLECTIONS.slackInteractions);
  }

  /** The key of an interaction: a hash of what makes two requests the same one. */
  static key(kind: string, parts: unknown[]): string {
    return `${kind}:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`;
  }

  /** True the first time a key is claimed (the caller runs the interaction), false for every repeat. */
  claim(key: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ _id: key, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // After the current I/O phase: the requests that arrived together are claimed together.
        setImmediate(() => void this.flush());
      }
    });
  }

  /** When a key was first claimed: asked only for a repeat (the first click never pays for it). */
  async claimedAt(key: string): Promise<Date | undefined> {
    return (await this.collection.findOne({ _id: key }, { projection: { receivedAt: 1 } }))?.receivedAt;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    const unique = new Map<string, Claim>();
    for (const claim of batch) {
      if (unique.has(claim._id)) claim.resolve(false);
      else unique.set(claim._id, claim);
    }
    const claims = [...unique.values()];
    const receivedAt = new Date();
    try {
      await this.collection.insertMany(
        claims.map(({ _id }) => ({ _id, receivedAt })),
        { ordered: false },
      );
      for (const c of claims) c.resolve(true);
    } catch (err) {
      // Per-document answers: duplicates ran before; any other answer, or none at all, means "unknown", and
      // an interaction whose claim is unknown does not run (the user sees an error and can click again).
      const writeErrors = err instanceof MongoBulkWriteError ? (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]) : [];
      const inserted = err instanceof MongoBulkWriteError ? err.insertedCount : 0;
      if (!writeErrors.length || inserted + writeErrors.length !== claims.length) {
        for (const c of claims) c.reject(err);
        return;
      }
      const codes = new Map(writeErrors.map((e) => [e.index, e.code]));
      claims.forEach((c, i) => {
        const code = codes.get(i);
        if (code === undefined) c.resolve(true);
        else if (code === 11000) c.resolve(false);
        else c.reject(err);
      });
    }
  }
}
