// Locks on correlation groups, one document each, whose unique _id is the arbiter: of several writers that
// insert the same lock at once exactly one succeeds, on MongoDB and on the embedded FerretDB alike. A lock
// expires, so a writer that crashed while holding one delays its groups by at most LOCK_MS, never forever.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { insertManyReportingDuplicates } from '../store/mongo.js';

export const LOCKS_COLLECTION = 'correlation_locks';
const LOCK_MS = 30_000;
const RELEASE_ATTEMPTS = 5;

interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

export class GroupLocks {
  private readonly locks: Collection<LockDoc>;

  constructor(db: Db) {
    this.locks = db.collection<LockDoc>(LOCKS_COLLECTION);
  }

  /** Takes the locks that are free; `held` says which. Always call release(). */
  async acquire(ids: string[], now = Date.now()): Promise<{ held: Set<string>; release(): Promise<void> }> {
    const owner = randomUUID();
    // An unknown outcome throws: no lock is claimed as held (one that was written expires after LOCK_MS).
    const taken = await insertManyReportingDuplicates(this.locks, ids.map((_id) => ({ _id, owner, expiresAt: new Date(now + LOCK_MS) })));
    const held = new Set(ids.filter((_, i) => !taken.has(i)));
    if (taken.size) {
      // Locks left by a crashed writer: remove the expired ones so the next attempt can take them.
      await this.locks.deleteMany({ _id: { $in: [...taken].map((i) => ids[i]!) }, expiresAt: { $lt: new Date(now) } });
    }
    return {
      held,
      release: async () => {
        if (!held.size) return;
        // A lock that is not released holds its groups until it expires: try a few times before giving up.
        for (let attempt = 1; ; attempt++) {
          try {
            await this.locks.deleteMany({ _id: { $in: [...held] }, owner });
            return;
          } catch (err) {
            if (attempt >= RELEASE_ATTEMPTS) throw err;
            await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          }
        }
      },
    };
  }
}
