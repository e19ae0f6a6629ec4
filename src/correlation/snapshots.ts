// The written-behind state of correlation partitions: one document per partition (`_id` = the partition number)
// holding every group's state, as one gzipped JSON blob, and the log position it covers. A copy is taken at a
// moment when every alert write before that position is applied, then written in the background, one document at
// a time, so stepping never waits on the store. A snapshot that lands late (or an old owner's) only means a
// longer replay: any (state, position) pair written here is consistent, and replaying the log from it is
// deterministic. Snapshots are paced by a byte budget (`due`): a blob is one value to the server, where the
// groups as documents were thousands of fields to convert and write, and the pace keeps what they cost small
// beside ingestion, at the price of a longer replay after a crash.
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { Binary, type Collection, type Db } from 'mongodb';
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
  /** The groups as gzipped JSON (`(GroupEntry & { id })[]`). */
  gz?: Binary;
  /** How many groups the blob holds (for people reading the collection). */
  count?: number;
  /** The form written before the blob, still loaded. */
  groups?: (GroupEntry & { id: string })[];
  owner: string;
  at: Date;
}

/** MongoDB's BSON document limit (16 MiB), less room for the update command around the document. */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** Snapshot bytes (gzipped) written per second at most, outside a stop or a hand-over (`due`). */
export const SNAPSHOT_BYTES_PER_SEC = 100_000;

const gzipAsync = promisify(gzip);

/** A partition's state captured for writing: its JSON, taken at the capture (the copy). */
interface Captured {
  cursor: number;
  json: string;
  count: number;
  at: Date;
}

export class SnapshotWriter {
  readonly collection: Collection<SnapshotDoc>;
  /** Latest copy per partition not yet written (a newer copy replaces an older one waiting). */
  private readonly queue = new Map<number, Captured>();
  /** When the byte budget lets the next snapshot begin (the last one's bytes at SNAPSHOT_BYTES_PER_SEC). */
  private budgetAt = 0;
  private readonly bytesPerSec: number;
  private writing?: Promise<void>;
  /** Per partition, the position of the last snapshot this writer wrote and when: what the log may be pruned below. */
  readonly written = new Map<number, { cursor: number; at: number }>();
  readonly tooLarge: Counter<'partition'>;

  constructor(
    db: Db,
    private readonly owner: string,
    private readonly logger: Logger,
    options: { registry?: Registry; maxBytes?: number; bytesPerSec?: number } = {},
  ) {
    this.collection = db.collection<SnapshotDoc>(SNAPSHOTS_COLLECTION);
    this.maxBytes = options.maxBytes ?? MAX_SNAPSHOT_BYTES;
    this.bytesPerSec = options.bytesPerSec ?? SNAPSHOT_BYTES_PER_SEC;
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
    const stored = doc?.gz ? (JSON.parse(gunzipSync(doc.gz.buffer).toString('utf8')) as (GroupEntry & { id: string })[]) : (doc?.groups ?? []);
    return { cursor: doc?.cursor ?? 0, groups: new Map(stored.map(({ id, ...g }) => [id, g])) };
  }

  /**
   * Whether a snapshot taken now would be written at once: none is waiting or being written, and the byte budget
   * allows one. Stepping captures only then (one partition at a time); a stop or a hand-over captures anyway.
   */
  due(now = Date.now()): boolean {
    return !this.writing && !this.queue.size && now >= this.budgetAt;
  }

  /** Copies the partition's state now (the caller guarantees its alert writes are applied) and writes it behind. */
  capture(p: number, cursor: number, groups: Map<string, GroupEntry>): void {
    // The JSON is the copy: the groups go on changing while it is compressed and written.
    const json = JSON.stringify([...groups].map(([id, g]) => ({ id, ...g })));
    this.queue.set(p, { cursor, json, count: groups.size, at: new Date() });
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
      for (const [p, captured] of this.queue) {
        this.queue.delete(p);
        try {
          const gz = await gzipAsync(captured.json);
          // Over the limit the server refuses it, and the driver may throw before sending: never crash, never
          // prune. Said loudly: the partition's log grows, and a takeover replays it all, until its state shrinks.
          const bytes = gz.length;
          if (bytes > this.maxBytes) {
            this.tooLarge.inc({ partition: String(p) });
            this.logger.error({ partition: p, bytes, limit: this.maxBytes, groups: captured.count }, 'correlation snapshot too large to write; its log is kept and a takeover replays it from the last snapshot written');
            continue;
          }
          const doc: SnapshotDoc = { _id: String(p), cursor: captured.cursor, gz: new Binary(gz), count: captured.count, owner: this.owner, at: captured.at };
          await this.collection.replaceOne({ _id: doc._id }, doc, { upsert: true });
          this.budgetAt = Date.now() + (bytes * 1000) / this.bytesPerSec;
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
