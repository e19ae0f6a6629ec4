// src/store/embedded/97-sqlite-delete-pushdown.patch: a deleteMany whose whole filter SQLite selects exactly (_id at
// the top, scalar_ index paths, $and) is one DELETE statement; anything else is found and deleted document by
// document, as before. The same documents (./pushdown-docs.ts) live in `pushed` (scalar_ indexes) and `plain` (the
// same keys, other names: matched in Go, as released); every filter must delete the same documents from both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId, type Collection, type Filter } from 'mongodb';
import { openTestDatabase } from '../support/db.js';
import { DATES, makeDocs, pushedAndPlain, type Doc } from './pushdown-docs.js';

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `d${String(from + i).padStart(3, '0')}`);

const FILTERS: Filter<Doc>[] = [
  // one statement
  { _id: 'd007' },
  { _id: { $in: ids(0, 40) } },
  { _id: { $in: ids(20, 120) }, t: { $lt: DATES[2]! } }, // the retention job's shape
  { s: 'ab' },
  { s: { $in: ['ab', 'é', ''] } },
  { s: { $gt: 'A', $lte: 'mmm' } },
  { t: { $gte: DATES[1]!, $lt: DATES[3]! } },
  { n: { $gt: 0 } },
  { n: { $in: [1, 2.5, 2 ** 40] } },
  { o: new ObjectId('000000030000000000000000') },
  { flag: true },
  { 'nested.k': 'x' },
  { s: 'ab', n: { $gte: 0 }, flag: true },
  { $and: [{ s: { $gte: 'ab' } }, { t: { $lt: DATES[4]! } }] },
  // a query value of another type than stored: one statement that matches nothing, as in Go
  { t: { $lt: 'x' } } as unknown as Filter<Doc>,
  { flag: 1 } as unknown as Filter<Doc>,
  { o: '000000030000000000000000' } as unknown as Filter<Doc>,
  // found and deleted in Go: $or, a multi-valued or unindexed path, null, other operators, mixed types
  { $or: [{ s: 'ab' }, { n: 10 }] },
  { s: 'ab', other: 1 },
  { a: 'x' },
  { s: null },
  { s: { $ne: 'ab' } },
  { _id: { $gte: 'd150' } },
  { s: { $in: ['ab', 1] } } as unknown as Filter<Doc>,
  {},
];

describe('delete pushdown (embedded FerretDB patch 97)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let pushed: Collection<Doc>;
  let plain: Collection<Doc>;
  const docs = makeDocs(95, 200);

  beforeAll(async () => {
    database = await openTestDatabase('delpush');
    ({ pushed, plain } = await pushedAndPlain(database.db, docs));
  });
  afterAll(async () => database?.drop());

  it('deleteMany deletes the same documents with and without the pushdown', { timeout: 120_000 }, async () => {
    for (const filter of FILTERS) {
      const what = JSON.stringify(filter);
      const expected = (await plain.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => d._id).sort();
      const result = await pushed.deleteMany(filter);
      expect(result.deletedCount, what).toBe(expected.length);
      const left = new Set((await pushed.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
      expect(docs.filter((d) => !left.has(d._id)).map((d) => d._id).sort(), what).toEqual(expected);
      // put them back for the next filter
      if (expected.length) await pushed.insertMany(docs.filter((d) => expected.includes(d._id)).map((d) => ({ ...d })));
    }
    expect(await pushed.countDocuments({})).toBe(docs.length);
    expect((await database.db.collection('nothing_here').deleteMany({ s: 'ab' })).deletedCount).toBe(0);
  });

  it('deleteOne still deletes one document', async () => {
    const before = await pushed.countDocuments({ s: 'ab' });
    expect(before).toBeGreaterThan(1);
    expect((await pushed.deleteOne({ s: 'ab' })).deletedCount).toBe(1);
    expect(await pushed.countDocuments({ s: 'ab' })).toBe(before - 1);
  });

  // A document that breaks the scalar_ promise (an array or a boolean on the number path n) is deleted exactly when
  // a find selects it: neither path ever took an array on a scalar_ path by its elements, nor true for 1.
  it('documents that break the scalar_ promise are deleted as a find selects them', async () => {
    const broken = database.db.collection<Doc>('broken');
    await broken.createIndex({ n: 1 }, { name: 'scalar_n' });
    await broken.insertMany([
      { _id: 'one', n: 1, other: 0 },
      { _id: 'array', n: [1, 5] as never, other: 0 },
      { _id: 'bool', n: true as never, other: 0 },
    ]);
    const found = (await broken.find({ n: 1 }).toArray()).map((d) => d._id);
    expect((await broken.deleteMany({ n: 1 })).deletedCount).toBe(found.length);
    const left = (await broken.find({}).toArray()).map((d) => d._id);
    expect(left.filter((id) => found.includes(id))).toEqual([]);
    expect(left).toContain('bool');
  });
});
