// The hand-off between the replica that receives signals and the replica that owns their groups' partition:
// one log per partition, whose entries are documents with `_id` `<partition>:<seq>` listing the keys of the
// signals routed there. An entry is written BEFORE its signals are stored, so a signal that is stored is always
// in some partition's log, whatever crashes after. A writer takes the next free sequence number by inserting it:
// the unique _id is the arbiter, a duplicate means another writer has that number, and the writer moves on to
// the next. Since a writer only moves past numbers it has seen taken, the log has no holes, and its owner reads
// it by `_id` alone, number after number (no scan, on any server). Entries below a partition's durable snapshot
// are pruned by its owner (`prune`), behind a floor document that writers check after each append.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { duplicateIndexes } from './leases.js';

export const LOG_COLLECTION = 'correlation_log';

/**
 * A partition's pruned prefix (`_id` `floor:<p>`, in the log's collection): entries below `floor` may be deleted,
 * those below `pruned` are. Written before anything is deleted, so a writer that lands below it can tell.
 */
export interface LogFloor {
  _id: string;
  floor: number;
  pruned: number;
}

export const floorId = (p: number) => `floor:${p}`;
const DELETE_BATCH = 500;

export interface LogEntry {
  _id: string;
  p: number;
  seq: number;
  /** The ingestion that wrote the entry: its signals carry the same id in their stored `batch` field. */
  batch: string;
  keys: string[];
  at: Date;
}

export const entryId = (p: number, seq: number) => `${p}:${seq}`;

export class PartitionLog {
  readonly collection: Collection<LogEntry>;
  /** Next sequence number to try per partition. */
  private readonly next = new Map<number, number>();

  private readonly floors: Collection<LogFloor>;

  /**
   * `floorBound(p)`: a position partition p's floor is known not to exceed now, if this process knows one (its
   * owner's: the floor is raised only by owners, to a snapshot position, so while this process holds p's lease
   * the floor is at most where it has stepped). Entries at or above it need no floor read.
   */
  constructor(
    db: Db,
    private readonly floorBound: (p: number) => number | undefined = () => undefined,
  ) {
    this.collection = db.collection<LogEntry>(LOG_COLLECTION);
    this.floors = db.collection<LogFloor>(LOG_COLLECTION);
  }

  /** Moves the next number to try forward (never back): the owner's position, or a hint from its lease. */
  advance(p: number, seq: number): void {
    if ((this.next.get(p) ?? 0) < seq) this.next.set(p, seq);
  }

  /**
   * Appends one entry per partition; returns them with the numbers they got. Appends called while another is
   * being written wait and are then written together, numbers taken in order: concurrent appends of one
   * process never race each other for the same numbers (each lost race costs a round trip, and at many POSTs in
   * flight the rounds grew with their square), and a burst costs a round trip, not one per append.
   */
  append(byPartition: Map<number, string[]>): Promise<LogEntry[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ byPartition, resolve, reject });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private readonly waiting: { byPartition: Map<number, string[]>; resolve(entries: LogEntry[]): void; reject(err: unknown): void }[] = [];
  private writing = false;

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length) {
      const group = this.waiting.splice(0);
      try {
        const written = await this.appendAll(group.map((g) => g.byPartition));
        group.forEach((g, i) => g.resolve(written[i]!));
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.writing = false;
  }

  private async appendAll(appends: Map<number, string[]>[]): Promise<LogEntry[][]> {
    const batches = appends.map(() => randomUUID());
    const at = new Date();
    let todo = appends.flatMap((byPartition, a) => [...byPartition.keys()].map((p) => ({ a, p })));
    const written: LogEntry[][] = appends.map(() => []);
    // A duplicate number means another writer holds it; the next round tries the number after it.
    for (let round = 0; todo.length; round++) {
      if (round > 10_000) throw new Error('could not find a free log position in 10,000 attempts');
      const seqs = new Map<number, number>();
      const docs = todo.map(({ a, p }) => {
        const seq = seqs.get(p) ?? this.next.get(p) ?? 0;
        seqs.set(p, seq + 1);
        return { _id: entryId(p, seq), p, seq, batch: batches[a]!, keys: appends[a]!.get(p)!, at };
      });
      let taken = new Set<number>();
      try {
        await this.collection.insertMany(docs, { ordered: false });
      } catch (err) {
        taken = duplicateIndexes(err);
      }
      // Every number tried was taken, by this writer or another: the next round starts after them.
      for (const [p, seq] of seqs) this.advance(p, seq);
      const retry: typeof todo = [];
      docs.forEach((doc, i) => {
        if (taken.has(i)) retry.push(todo[i]!);
        else written[todo[i]!.a]!.push(doc);
      });
      todo = retry;
      // A writer whose next number was stale can win a number of a pruned prefix, where its owner never reads:
      // such entries are written again above the floor (their signals are not stored yet, so none was stepped).
      if (!todo.length) todo = await this.belowFloor(written);
    }
    return written;
  }

  /** Takes out of `written` the entries below their partition's floor; returns them to append again. */
  private async belowFloor(written: LogEntry[][]): Promise<{ a: number; p: number }[]> {
    // Asked after the insert: a floor known to be at most an entry's number then was at most it when it was written.
    const ids = [...new Set(written.flat().filter((e) => e.seq < (this.floorBound(e.p) ?? Infinity)).map((e) => e.p))].map(floorId);
    if (!ids.length) return [];
    const floors = new Map((await this.floors.find({ _id: { $in: ids } }).toArray()).map((f) => [f._id, f.floor]));
    const again: { a: number; p: number }[] = [];
    written.forEach((entries, a) => {
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i]!;
        const floor = floors.get(floorId(e.p)) ?? 0; // 0 too where no floor was read (known to be at most e.seq)
        if (e.seq >= floor) continue;
        entries.splice(i, 1);
        this.advance(e.p, floor);
        again.push({ a, p: e.p });
      }
    });
    return again;
  }

  /**
   * Deletes partition p's entries below `below` (the position of its durable snapshot). The floor is raised
   * first (see `append`), then the entries are deleted by _id in batches, from where the last prune stopped.
   */
  async prune(p: number, below: number): Promise<number> {
    const current = await this.floors.findOne({ _id: floorId(p) });
    const from = current?.pruned ?? 0;
    const floor = Math.max(below, current?.floor ?? 0);
    if (floor <= from) return 0;
    if (floor !== current?.floor) await this.floors.replaceOne({ _id: floorId(p) }, { floor, pruned: from }, { upsert: true });
    let deleted = 0;
    for (let seq = from; seq < floor; seq += DELETE_BATCH) {
      const ids = Array.from({ length: Math.min(DELETE_BATCH, floor - seq) }, (_, i) => entryId(p, seq + i));
      deleted += (await this.collection.deleteMany({ _id: { $in: ids } })).deletedCount;
    }
    await this.floors.replaceOne({ _id: floorId(p) }, { floor, pruned: floor }, { upsert: true });
    return deleted;
  }

  /**
   * For each partition, its entries from the given position on (at most `limit` each), in one query by _id:
   * keyed by entry id. Polled by owners for the entries other replicas wrote.
   */
  async readFrom(positions: Map<number, number>, limit: number): Promise<Map<string, LogEntry>> {
    if (!positions.size) return new Map();
    const ids = [...positions].flatMap(([p, seq]) => Array.from({ length: limit }, (_, i) => entryId(p, seq + i)));
    const docs = await this.collection.find({ _id: { $in: ids } }).toArray();
    return new Map(docs.map((d) => [d._id, d]));
  }
}

/**
 * Prunes each owned partition's log below the last snapshot its owner wrote, once it has owned the partition for
 * a term: a snapshot of the previous owner that lands late could otherwise move the stored position back below
 * what was deleted (the same bound on pauses and clocks as the leases).
 */
export async function pruneCovered(log: PartitionLog, written: ReadonlyMap<number, { cursor: number; at: number }>, owned: ReadonlyMap<number, { loadedAt: number }>, termMs: number, now: number): Promise<void> {
  for (const [p, part] of owned) {
    const w = written.get(p);
    if (w && w.at >= part.loadedAt && now - part.loadedAt >= termMs) await log.prune(p, w.cursor);
  }
}
