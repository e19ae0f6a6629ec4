// The hand-off between the replica that receives signals and the replica that owns their groups' partition:
// one log per partition, whose entries are documents with `_id` `<partition>:<seq>` listing the keys of the
// signals routed there. An entry is written BEFORE its signals are stored, so a signal that is stored is always
// in some partition's log, whatever crashes after. A writer takes the next free sequence number by inserting it:
// the unique _id is the arbiter, a duplicate means another writer has that number, and the writer moves on to
// the next. Since a writer only moves past numbers it has seen taken, the log has no holes, and its owner reads
// it by `_id` alone, number after number (no scan, on any server).
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { duplicateIndexes } from './leases.js';

export const LOG_COLLECTION = 'correlation_log';

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

  constructor(db: Db) {
    this.collection = db.collection<LogEntry>(LOG_COLLECTION);
  }

  /** Moves the next number to try forward (never back): the owner's position, or a hint from its lease. */
  advance(p: number, seq: number): void {
    if ((this.next.get(p) ?? 0) < seq) this.next.set(p, seq);
  }

  /** Appends one entry per partition; returns them with the numbers they got. */
  async append(byPartition: Map<number, string[]>): Promise<LogEntry[]> {
    const batch = randomUUID();
    const at = new Date();
    let todo = [...byPartition.keys()];
    const written: LogEntry[] = [];
    // A duplicate number means another writer holds it; the next round tries the number after it.
    for (let round = 0; todo.length; round++) {
      if (round > 10_000) throw new Error('could not find a free log position in 10,000 attempts');
      const docs = todo.map((p) => ({ _id: entryId(p, this.next.get(p) ?? 0), p, seq: this.next.get(p) ?? 0, batch, keys: byPartition.get(p)!, at }));
      let taken = new Set<number>();
      try {
        await this.collection.insertMany(docs, { ordered: false });
      } catch (err) {
        taken = duplicateIndexes(err);
      }
      const retry: number[] = [];
      docs.forEach((doc, i) => {
        this.next.set(doc.p, doc.seq + 1);
        if (taken.has(i)) retry.push(doc.p);
        else written.push(doc);
      });
      todo = retry;
    }
    return written;
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
