// Keyset paging forward and back over an in-memory list, with the filters and sorts keysetQuery gives
// evaluated by a small matcher of exactly their shape ($or of {field: {$lt|$gt}} and {field, _id: {$lt|$gt}}).
import { describe, expect, it } from 'vitest';
import { decodeCursor, keysetPage, keysetQuery, type Keyset } from './keyset.js';

interface Doc {
  _id: string;
  at: number;
}

type Cmp = { $lt?: unknown; $gt?: unknown };
const test = (v: number | string, c: Cmp) => (c.$lt !== undefined ? v < (c.$lt as number | string) : v > (c.$gt as number | string));

function matches(doc: Doc, filter: { $or: Record<string, unknown>[] }): boolean {
  return filter.$or.some((clause) =>
    Object.entries(clause).every(([k, v]) => {
      const value = k === '_id' ? doc._id : doc.at;
      return typeof v === 'object' && v !== null ? test(value, v as Cmp) : value === v;
    }),
  );
}

function read(all: Doc[], paging: Keyset, limit: number) {
  const { boundary, sort } = keysetQuery<Doc>('at', paging, false);
  const dir = sort.at!;
  const docs = all
    .filter((d) => !boundary || matches(d, boundary as { $or: Record<string, unknown>[] }))
    .sort((a, b) => (a.at !== b.at ? (a.at - b.at) * dir : (a._id < b._id ? -1 : 1) * sort._id!))
    .slice(0, limit + 1);
  return keysetPage(docs, limit, (d) => d.at, paging);
}

// 25 documents, with ties on the key (two per minute), so the _id tie-break matters.
const all: Doc[] = Array.from({ length: 25 }, (_, i) => ({ _id: `d${String(i).padStart(2, '0')}`, at: Math.floor(i / 2) }));
const ids = (page: Doc[]) => page.map((d) => d._id);

describe('keyset paging', () => {
  it('walks forward to the end and back to the start, the same pages each way', () => {
    const forward: string[][] = [];
    let page = read(all, {}, 10);
    expect(page.prev).toBeUndefined();
    forward.push(ids(page.page));
    while (page.next) {
      page = read(all, { cursor: page.next }, 10);
      expect(page.prev).toBeDefined();
      forward.push(ids(page.page));
    }
    expect(forward.flat()).toHaveLength(25);
    expect(new Set(forward.flat()).size).toBe(25);

    const backward: string[][] = [ids(page.page)];
    while (page.prev) {
      page = read(all, { before: page.prev }, 10);
      expect(page.next).toBeDefined();
      backward.unshift(ids(page.page));
    }
    expect(backward).toEqual(forward);
    // Newest first on every page, back or forth.
    expect(forward[0]![0]).toBe('d24');
  });

  it('a `before` page keeps its links valid: its next is the page it came from', () => {
    const first = read(all, {}, 10);
    const second = read(all, { cursor: first.next! }, 10);
    const back = read(all, { before: second.prev! }, 10);
    expect(ids(back.page)).toEqual(ids(first.page));
    expect(back.prev).toBeUndefined();
    expect(ids(read(all, { cursor: back.next! }, 10).page)).toEqual(ids(second.page));
    expect(decodeCursor(back.next!)).toEqual([first.page.at(-1)!.at, first.page.at(-1)!._id]);
  });

  it('a permalink stays valid after newer documents arrive: it still shows what lies after its cursor', () => {
    const first = read(all, {}, 10);
    const second = ids(read(all, { cursor: first.next! }, 10).page);
    const grown = [...all, { _id: 'new1', at: 99 }, { _id: 'new2', at: 100 }];
    expect(ids(read(grown, { cursor: first.next! }, 10).page)).toEqual(second);
    // Back from the first page of before now finds the newer ones.
    expect(ids(read(grown, { before: encodeFirst(first.page) }, 10).page)).toEqual(['new2', 'new1']);
  });
});

function encodeFirst(page: Doc[]): string {
  const first = page[0]!;
  return Buffer.from(JSON.stringify([first.at, first._id])).toString('base64url');
}
