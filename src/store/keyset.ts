// Keyset paging: a page ends at its last document's sort key (time or number, then _id), and the next page
// asks for what sorts after it, so page 1,000 costs what page 1 costs (an index range on MongoDB), where
// skip() walks every earlier document. The cursor is opaque to clients: base64url of `[key, _id]`.
import type { Filter } from 'mongodb';
import { z } from 'zod';

export type KeysetKey = [number, string];

export function encodeCursor(key: number | Date, id: string): string {
  return Buffer.from(JSON.stringify([key instanceof Date ? key.getTime() : key, id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetKey | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && value[1].length <= 300) return [value[0] as number, value[1]];
  } catch {
    // not ours
  }
  return undefined;
}

/** The `cursor` query parameter: the `next` of the previous page. */
export const cursorSchema = z.string().max(400).refine((v) => decodeCursor(v) !== undefined, 'the `next` value of the previous page');

/**
 * What sorts after the cursor in the order {field: -1, _id: 1} (newest first, ties by _id). `asDate` when the
 * field holds dates.
 */
export function afterCursor<T>(field: string, cursor: string | undefined, asDate: boolean): Filter<T> | undefined {
  if (!cursor) return undefined;
  const decoded = decodeCursor(cursor);
  if (!decoded) throw new Error('invalid cursor');
  const key = asDate ? new Date(decoded[0]) : decoded[0];
  return { $or: [{ [field]: { $lt: key } }, { [field]: key, _id: { $gt: decoded[1] } }] } as Filter<T>;
}

/** The page and the next cursor, from `limit + 1` documents read. */
export function keysetPage<T extends { _id: string }>(docs: T[], limit: number, keyOf: (doc: T) => number | Date): { page: T[]; next?: string } {
  const page = docs.slice(0, limit);
  const last = page.at(-1);
  return { page, next: docs.length > limit && last ? encodeCursor(keyOf(last), last._id) : undefined };
}
