// The written-behind state of correlation partitions: one document per partition (`_id` = the partition number)
// holding every group's state and the log position it covers. A copy is taken at a moment when every alert
// write before that position is applied, then written in the background, one document at a time, so stepping
// never waits on the store. A snapshot that lands late (or an old owner's) only means a longer replay: any
// (state, position) pair written here is consistent, and replaying the log from it is deterministic.
import { BSON, type Collection, type Db } from 'mongodb';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../app/logger.js';
import type { GroupState } from './engine.js';
import { entryId, floorId, LOG_COLLECTION, type LogEntry, type LogFloor } from './partition-log.js';

export const SNAPSHOTS_COLLECTION = 'correlation_snapshots';

export interface GroupEntry {
  ruleKey: string;
  group: string[];
  state: GroupState;
}

export interface SnapshotDoc {
  _id: string;
  cursor: number;
  groups: (GroupEntry & { id: string })[];
  owner: string;
  at: Date;
}

/** MongoDB's BSON document limit (16 MiB), less room for the update command around the document. */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024 - 64 * 1024;

export class SnapshotWriter {
  readonly collection: Collection<SnapshotDoc>;
  /** Latest copy per partition not yet written (a newer copy replaces an older one waiting). */
  private readonly queue = new Map<number, SnapshotDoc>();
  private writing?: Promise<void>;
  /** Per partition, the position of the last snapshot this writer wrote and when: what the log may be pruned below. */
  readonly written = new Map<number, { cursor: number; at: number }>();
  readonly tooLarge: Counter<'partition'>;

  constructor(
    db: Db,
    private readonly owner: string,
    private readonly logger: Logger,
    options: { registry?: Registry; maxBytes?: number } = {},
  ) {
    this.collection = db.collection<SnapshotDoc>(SNAPSHOTS_COLLECTION);
    this.maxBytes = options.maxBytes ?? MAX_SNAPSHOT_BYTES;
    this.tooLarge = new Counter({
      name: 'taser_correlation_snapshot_too_large_total',
      help: 'Partition snapshots not written because they exceed the document size limit (the log is kept: a takeover replays it from the last snapshot written)',
      labelNames: ['partition'] as const,
      registers: options.registry ? [options.registry] : [],
    });
  }

  private readonly maxBytes: number;

  async load(p: number): Promise<{ cursor: number; groups: Map<string, GroupEntry> }> {
    const doc = await this.collection.findOne({ _id: String(p) });
    const floor = await this.collection.db.collection<LogFloor>(LOG_COLLECTION).findOne({ _id: floorId(p) });
    // Pruning assumes a previous owner's late snapshot lands within a term; if one did not, say so loudly.
    if (floor && floor.floor > (doc?.cursor ?? 0)) this.logger.error({ partition: p, cursor: doc?.cursor ?? 0, floor: floor.floor }, 'correlation snapshot is older than the pruned log: its replay cannot go on; the partition needs repair');
    return { cursor: doc?.cursor ?? 0, groups: new Map((doc?.groups ?? []).map(({ id, ...g }) => [id, g])) };
  }

  /** Copies the partition's state now (the caller guarantees its alert writes are applied) and writes it behind. */
  capture(p: number, cursor: number, groups: Map<string, GroupEntry>): void {
    const copy = structuredClone([...groups].map(([id, g]) => ({ id, ...g })));
    this.queue.set(p, { _id: String(p), cursor, groups: copy, owner: this.owner, at: new Date() });
    if (!this.writing) this.writing = this.drain();
  }

  /** Resolves when every captured snapshot is written (or failed: logged, the log replays it). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // Never finish synchronously (a refused snapshot awaits nothing): `writing` is set only after this returns.
    await null;
    try {
      for (const [p, doc] of this.queue) {
        this.queue.delete(p);
        try {
          // Over the limit the server refuses it, and the driver may throw before sending: never crash, never
          // prune. Said loudly: the partition's log grows, and a takeover replays it all, until its state shrinks.
          const bytes = BSON.calculateObjectSize(doc);
          if (bytes > this.maxBytes) {
            this.tooLarge.inc({ partition: String(p) });
            this.logger.error({ partition: p, bytes, limit: this.maxBytes, groups: doc.groups.length }, 'correlation snapshot too large to write; its log is kept and a takeover replays it from the last snapshot written');
            continue;
          }
          await this.collection.replaceOne({ _id: doc._id }, doc, { upsert: true });
          this.written.set(p, { cursor: doc.cursor, at: Date.now() });
        } catch (err) {
          this.logger.warn({ err, partition: p }, 'correlation snapshot not written; a takeover replays more of the log');
        }
      }
    } finally {
      this.writing = undefined;
      if (this.queue.size) this.writing = this.drain();
    }
  }
}

/**
 * Partitions whose written-out state does not yet cover their whole log, read from the database alone (by _id):
 * empty when every signal stored so far is correlated and its snapshot written. For tests and operators.
 */
export async function partitionsBehind(db: Db, partitions: number): Promise<number[]> {
  const ids = Array.from({ length: partitions }, (_, p) => String(p));
  const snaps = new Map((await db.collection<SnapshotDoc>(SNAPSHOTS_COLLECTION).find({ _id: { $in: ids } }, { projection: { cursor: 1 } }).toArray()).map((d) => [Number(d._id), d.cursor]));
  const heads = await db.collection<LogEntry>(LOG_COLLECTION).find({ _id: { $in: ids.map((_, p) => entryId(p, snaps.get(p) ?? 0)) } }, { projection: { p: 1 } }).toArray();
  return heads.map((d) => d.p).sort((a, b) => a - b);
}
