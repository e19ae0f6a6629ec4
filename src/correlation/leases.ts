// Ownership of correlation partitions: a lease per (partition, term), where a term is a fixed slice of wall
// time. A lease is a document whose unique _id (`lease:<partition>:<term>`) is the arbiter: of several
// replicas inserting it, exactly one wins, on MongoDB and on the embedded FerretDB (whose conditional updates
// and findAndModify are not atomic, so nothing here updates a document). An owner claims the next term of
// its partitions half-way through the current one; a partition whose owner died is left without a lease for a
// coming term, and another replica claims it once that term has begun. Replicas count each other through
// member slots (`member:<term>:<i>`, claimed the same way) and keep about an equal share each.
import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import { isDuplicateKeyError } from '../store/mongo.js';

export const LEASES_COLLECTION = 'correlation_leases';
/** Member slots read per term: the most replicas that can share the partitions. */
const MAX_MEMBERS = 64;

interface LeaseDoc {
  _id: string;
  owner: string;
  at: Date;
  /** The owner's log position for the partition when it claimed the lease: a hint for writers. */
  cursor?: number;
}

export interface LeaseTiming {
  termMs: number;
}

/** The ids of an insertMany that failed on a duplicate key; throws for anything else. */
export function duplicateIndexes(err: unknown): Set<number> {
  if (!(err instanceof MongoBulkWriteError)) throw err;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  // Without a per-document answer nothing is known about which documents were written.
  if (!errors.length || errors.some((e) => e.code !== 11000)) throw err;
  return new Set(errors.map((e) => e.index));
}

export class PartitionLeases {
  private readonly leases: Collection<LeaseDoc>;
  /** term -> partitions this replica holds in it. */
  private readonly held = new Map<number, Set<number>>();
  private memberTerms = new Set<number>();
  private acquiredTerm = -1;
  private renewedTerm = -1;
  /** Latest log position hint per partition, from the lease documents read. */
  readonly cursorHints = new Map<number, number>();
  members = 1;

  constructor(
    db: Db,
    private readonly o: { partitions: number; termMs: number; owner: string },
  ) {
    this.leases = db.collection<LeaseDoc>(LEASES_COLLECTION);
  }

  term(now: number): number {
    return Math.floor(now / this.o.termMs);
  }

  /**
   * Partitions this replica may work on now. It stops a tenth of a term before its lease ends, and a replica
   * takes over a free partition a fifth of a term after that term began: clocks may differ by less than that.
   */
  owned(now: number): Set<number> {
    const k = this.term(now);
    const mine = this.held.get(k);
    if (!mine) return new Set();
    const endsSoon = now >= (k + 1) * this.o.termMs - this.o.termMs / 10;
    if (!endsSoon) return mine;
    const next = this.held.get(k + 1) ?? new Set<number>();
    return new Set([...mine].filter((p) => next.has(p)));
  }

  /**
   * One round of lease work; call it often (a few times per term). `cursors` gives the log positions of the
   * partitions this replica owns (written into renewed leases). `release` says which owned partitions to give
   * up at the end of this term (balancing), decided here and returned so the caller can write them out first.
   */
  async tick(now: number, cursors: Map<number, number>): Promise<{ releasing: number[] }> {
    const k = this.term(now);
    const start = k * this.o.termMs;
    for (const t of this.held.keys()) if (t < k - 1) this.held.delete(t);
    if (!this.memberTerms.has(k)) await this.claimMember(k);
    let releasing: number[] = [];
    if (this.acquiredTerm < k && now >= start + this.o.termMs / 5) {
      this.acquiredTerm = k;
      await this.acquire(k);
    }
    if (this.renewedTerm < k && now >= start + this.o.termMs / 2) {
      this.renewedTerm = k;
      releasing = await this.renew(k, cursors);
      await this.claimMember(k + 1);
    }
    return { releasing };
  }

  private async claimMember(k: number): Promise<void> {
    for (let i = 0; i < MAX_MEMBERS; i++) {
      try {
        await this.leases.insertOne({ _id: `member:${k}:${i}`, owner: this.o.owner, at: new Date() });
        this.memberTerms.add(k);
        return;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    this.memberTerms.add(k);
  }

  private async countMembers(k: number): Promise<number> {
    const ids = Array.from({ length: MAX_MEMBERS }, (_, i) => `member:${k}:${i}`);
    const docs = await this.leases.find({ _id: { $in: ids } }, { projection: { owner: 1 } }).toArray();
    return Math.max(1, new Set(docs.map((d) => d.owner)).size);
  }

  private fairShare(): number {
    return Math.ceil(this.o.partitions / this.members);
  }

  /** Claims free partitions of term k up to a fair share (a new replica, or partitions of a dead one). */
  private async acquire(k: number): Promise<void> {
    this.members = await this.countMembers(k);
    const mine = this.held.get(k) ?? new Set<number>();
    const ids = Array.from({ length: this.o.partitions }, (_, p) => `lease:${p}:${k}`);
    const docs = await this.leases.find({ _id: { $in: ids } }).toArray();
    const taken = new Set<number>();
    for (const d of docs) {
      const p = Number(d._id.split(':')[1]);
      taken.add(p);
      if (d.cursor !== undefined) this.cursorHints.set(p, Math.max(this.cursorHints.get(p) ?? 0, d.cursor));
      if (d.owner === this.o.owner) mine.add(p);
    }
    const want = this.fairShare() - mine.size;
    if (want <= 0) return this.held.set(k, mine), undefined;
    // Spread replicas over different free partitions: start at a point of our own.
    const free = Array.from({ length: this.o.partitions }, (_, p) => p).filter((p) => !taken.has(p));
    const offset = hashOf(this.o.owner) % Math.max(1, free.length);
    const tryThese = [...free.slice(offset), ...free.slice(0, offset)].slice(0, want);
    const won = await this.insertLeases(tryThese, k, new Map());
    for (const p of won) mine.add(p);
    this.held.set(k, mine);
  }

  /** Claims term k+1 for the partitions held in k, keeping a fair share; returns the ones let go. */
  private async renew(k: number, cursors: Map<number, number>): Promise<number[]> {
    this.members = await this.countMembers(k);
    const mine = [...(this.held.get(k) ?? [])].sort((a, b) => a - b);
    const keep = mine.slice(0, this.fairShare());
    const won = await this.insertLeases(keep, k + 1, cursors);
    this.held.set(k + 1, new Set(won));
    return mine.filter((p) => !won.includes(p));
  }

  private async insertLeases(partitions: number[], k: number, cursors: Map<number, number>): Promise<number[]> {
    if (!partitions.length) return [];
    const at = new Date();
    const docs = partitions.map((p) => ({ _id: `lease:${p}:${k}`, owner: this.o.owner, at, ...(cursors.has(p) ? { cursor: cursors.get(p)! } : {}) }));
    let lost = new Set<number>();
    try {
      await this.leases.insertMany(docs, { ordered: false });
    } catch (err) {
      lost = duplicateIndexes(err);
    }
    return partitions.filter((_, i) => !lost.has(i));
  }

  /**
   * Gives up every lease at once (a clean stop), so another replica takes over without waiting for the terms
   * to run out. Call only once the partitions' state is written.
   */
  async releaseAll(now: number): Promise<void> {
    const k = this.term(now);
    const ids: string[] = [];
    for (const [t, ps] of this.held) if (t >= k) for (const p of ps) ids.push(`lease:${p}:${t}`);
    this.held.clear();
    // A restart takes leases again at once rather than at the next term.
    this.acquiredTerm = -1;
    this.renewedTerm = -1;
    if (ids.length) await this.leases.deleteMany({ _id: { $in: ids }, owner: this.o.owner });
  }

  /** Lease and member documents of terms long past (their ids are known: no scan). */
  async prune(now: number): Promise<void> {
    const k = this.term(now) - 3;
    const ids = [...Array.from({ length: this.o.partitions }, (_, p) => `lease:${p}:${k}`), ...Array.from({ length: 8 }, (_, i) => `member:${k}:${i}`)];
    await this.leases.deleteMany({ _id: { $in: ids } });
  }
}

/** A small stable hash (FNV-1a) for spreading replicas and groups over partitions. */
export function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
