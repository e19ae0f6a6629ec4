// Keyset paging: a page ends at its last document's sort key (time or number, then _id), and the next page
// asks for what sorts after it, so page 1,000 costs what page 1 costs (an index range on MongoDB), where
// skip() walks every earlier document. The cursor is opaque to clients: base64url of `[key, _id]`.
// Paging back is the same keyset in reverse: `before` (a page's `prev`) asks for what sorts before the page's
// first document, read in the reversed order (the same index, walked the other way) and turned round. A cursor
// names a document's sort key, not a position, so a permalink with `cursor` or `before` stays valid as new
// documents arrive: it shows what comes after (or before) that point.
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

/** Which page: after `cursor` (a page's `next`), before `before` (a page's `prev`), or the first. */
export interface Keyset {
  cursor?: string;
  before?: string;
}

/** The `cursor` (or `before`) query parameter: the `next` (or `prev`) of the page shown. */
export const cursorSchema = z.string().max(400).refine((v) => decodeCursor(v) !== undefined, 'the `next` value of the previous page');

/**
 * What sorts after the cursor in the order {field: -1, _id: 1} (newest first, ties by _id). `asDate` when the
 * field holds dates.
 */
export function afterCursor<T>(field: string, cursor: string | undefined, asDate: boolean): Filter<T> | undefined {
  return boundary<T>(field, cursor, asDate, 'after');
}

function boundary<T>(field: string, cursor: string | undefined, asDate: boolean, side: 'after' | 'before'): Filter<T> | undefined {
  if (!cursor) return undefined;
  const decoded = decodeCursor(cursor);
  if (!decoded) throw new Error('invalid cursor');
  const key = asDate ? new Date(decoded[0]) : decoded[0];
  return side === 'after'
    ? ({ $or: [{ [field]: { $lt: key } }, { [field]: key, _id: { $gt: decoded[1] } }] } as Filter<T>)
    : ({ $or: [{ [field]: { $gt: key } }, { [field]: key, _id: { $lt: decoded[1] } }] } as Filter<T>);
}

/**
 * The boundary filter and the sort of a keyset page over {field: -1, _id: 1}: forward after `cursor`, or
 * backward ({field: 1, _id: -1}) before `before`. Read `limit + 1` documents with them, then call keysetPage.
 */
export function keysetQuery<T>(field: string, paging: Keyset, asDate: boolean): { boundary?: Filter<T>; sort: Record<string, 1 | -1> } {
  if (paging.before) return { boundary: boundary<T>(field, paging.before, asDate, 'before'), sort: { [field]: 1, _id: -1 } };
  return { boundary: boundary<T>(field, paging.cursor, asDate, 'after'), sort: { [field]: -1, _id: 1 } };
}

/**
 * The page (always newest first), its `next` and its `prev`, from `limit + 1` documents read in the order
 * keysetQuery gave. `prev` is there when something sorts before the page (a page reached by a cursor, or a
 * backward read that found more).
 */
export function keysetPage<T extends { _id: string }>(docs: T[], limit: number, keyOf: (doc: T) => number | Date, paging: Keyset = {}): { page: T[]; next?: string; prev?: string } {
  const more = docs.length > limit;
  const page = docs.slice(0, limit);
  if (paging.before) page.reverse();
  const first = page[0];
  const last = page.at(-1);
  const cursorOf = (doc: T | undefined) => (doc ? encodeCursor(keyOf(doc), doc._id) : undefined);
  if (paging.before) return { page, next: cursorOf(last), prev: more ? cursorOf(first) : undefined };
  return { page, next: more ? cursorOf(last) : undefined, prev: paging.cursor ? cursorOf(first) : undefined };
}
