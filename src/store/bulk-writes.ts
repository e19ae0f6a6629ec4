// Many small writes of one collection as few commands: a bulkWrite per chunk of statements, one round trip each
// instead of one per statement (and on the embedded database one transaction: patch 9A). Chunks stay small: such
// a command holds the embedded database's one write lock until its commit, and other writers wait meanwhile.
import type { AnyBulkWriteOperation, BulkWriteResult, Collection, Document } from 'mongodb';

export const WRITE_CHUNK = 32;

/**
 * Applies the statements unordered, a chunk per command; returns the matched and modified counts summed.
 * Throws as bulkWrite does (the statements of the failing chunk may be partly applied: write idempotent ones).
 */
export async function bulkWriteInChunks<T extends Document>(collection: Collection<T>, statements: AnyBulkWriteOperation<T>[]): Promise<{ matched: number; modified: number }> {
  let matched = 0;
  let modified = 0;
  for (let i = 0; i < statements.length; i += WRITE_CHUNK) {
    const res: BulkWriteResult = await collection.bulkWrite(statements.slice(i, i + WRITE_CHUNK), { ordered: false });
    matched += res.matchedCount;
    modified += res.modifiedCount;
  }
  return { matched, modified };
}
