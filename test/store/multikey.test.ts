// src/store/embedded/40-sqlite-multikey.patch: an index named multi_… with one key path is a multikey index on
// the embedded FerretDB (a side table kept by SQLite triggers), and equality and $in on that path are pushed down
// to it. The same documents live in `multi`, indexed so, and in `plain`, without the index (filtered in Go, as
// released): every query must answer the same documents from both, through inserts, updates and deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection, Document, Filter, Sort } from 'mongodb';
import { openTestDatabase, testMongoKind } from '../support/db.js';

interface Doc {
  _id: string;
  a?: unknown;
  t?: Date;
}

const T0 = Date.UTC(2026, 10, 1);

// Arrays, scalars, missing, null, mixed types, nested arrays and documents (never matched by a scalar).
function makeDocs(): Doc[] {
  const values: unknown[] = [
    ['x', 'y'],
    ['y', 'z', 'y'],
    'x',
    [],
    null,
    undefined,
    [1, 2, 'x'],
    2,
    2.5,
    [2.5, true],
    true,
    [{ k: 'x' }, 'v'],
    { k: 'x' },
    ['username=alice', 'ip=10.0.0.1'],
    ['username=alice'],
    ['username=bob', 'username=alice', 'host=a'],
    [new Date(T0), 'd'],
    ['', 'é', 'a"b', "a'b"],
  ];
  return values.map((a, i) => ({ _id: `d${String(i).padStart(2, '0')}`, ...(a === undefined ? {} : { a }), t: new Date(T0 + i * 60_000) }));
}

const FILTERS: Filter<Doc>[] = [
  { a: 'x' },
  { a: 'y' },
  { a: 'username=alice' },
  { a: { $eq: 'z' } },
  { a: { $in: ['z', 'username=bob'] } },
  { a: { $in: ['nothing'] } },
  { a: 2 },
  { a: 2.5 },
  { a: 1 },
  { a: true },
  { a: new Date(T0) },
  { a: '' },
  { a: 'é' },
  { a: 'a"b' },
  { a: "a'b" },
  { a: null },
  { a: ['x', 'y'] },
  { a: { $in: ['x', null] } },
  { a: { $exists: false } },
  { a: { k: 'x' } },
  { a: { $eq: 'x', $in: ['y'] } },
  { $and: [{ a: 'username=alice' }, { t: { $gte: new Date(T0 + 14 * 60_000) } }] },
  { $or: [{ a: 'z' }, { a: 2 }] },
  { $or: [{ a: 'z' }, { t: new Date(T0) }] },
];

describe('multikey indexes (multi_) on the embedded database', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let multi: Collection<Doc>;
  let plain: Collection<Doc>;

  const ids = async (c: Collection<Doc>, filter: Filter<Doc>, sort: Sort = { _id: 1 }, limit = 0) =>
    (await c.find(filter).sort(sort).limit(limit).toArray()).map((d) => d._id);

  const sameAnswers = async (filters: Filter<Doc>[] = FILTERS) => {
    for (const filter of filters) {
      const expected = await ids(plain, filter);
      expect(await ids(multi, filter), JSON.stringify(filter)).toEqual(expected);
    }
  };

  beforeAll(async () => {
    db = await openTestDatabase('multikey');
    multi = db.db.collection<Doc>('multi');
    plain = db.db.collection<Doc>('plain');
    await multi.createIndexes([
      { key: { a: 1 }, name: 'multi_a' },
      { key: { t: -1, _id: 1 }, name: 'scalar_t' },
    ]);
    await plain.createIndexes([{ key: { t: -1, _id: 1 }, name: 'scalar_t' }]);
    await multi.insertMany(makeDocs());
    await plain.insertMany(makeDocs());
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('answers equality and $in on arrays, scalars, missing and mixed values as without the index', async () => {
    await sameAnswers();
    expect(await ids(multi, { a: 'username=alice' })).toEqual(['d13', 'd14', 'd15']);
    expect(await ids(multi, { a: 'x' })).toEqual(['d00', 'd02', 'd06']);
  });

  it('answers with a sort and limit on a scalar_ index', async () => {
    const filter = { a: 'username=alice', t: { $lt: new Date(T0 + 60 * 60_000) } };
    expect(await ids(multi, filter, { t: -1, _id: 1 }, 2)).toEqual(['d15', 'd14']);
    expect(await ids(multi, filter, { t: -1, _id: 1 }, 2)).toEqual(await ids(plain, filter, { t: -1, _id: 1 }, 2));
  });

  it('follows updates that add, change and remove elements, findOneAndUpdate, replaces and deletes', async () => {
    // typed as arrays for $push and $pull; the documents hold every kind of value
    for (const c of [multi, plain] as unknown as Collection<{ _id: string; a?: string[]; t?: Date }>[]) {
      await c.updateOne({ _id: 'd13' }, { $pull: { a: 'username=alice' } });
      await c.updateOne({ _id: 'd03' }, { $push: { a: 'username=alice' } });
      await c.updateMany({ a: 'y' }, { $set: { a: ['w'] } });
      await c.findOneAndUpdate({ _id: 'd05' }, { $set: { a: ['username=alice', 'new'] } });
      await c.findOneAndUpdate({ a: 'z' }, { $unset: { a: '' } });
      await c.updateOne({ _id: 'd16' }, { $set: { t: new Date(T0 - 1) } }); // the path unchanged
      await c.replaceOne({ _id: 'd07' }, { a: ['x', 'username=alice'], t: new Date(T0 + 7) });
      await c.deleteOne({ _id: 'd15' });
      await c.deleteMany({ a: 'username=bob' });
      await c.insertOne({ _id: 'd99', a: ['username=alice', 'y'], t: new Date(T0 + 99 * 60_000) });
    }
    await sameAnswers([...FILTERS, { a: 'w' }, { a: 'new' }]);
    expect(await ids(multi, { a: 'username=alice' })).toEqual(['d03', 'd05', 'd07', 'd14', 'd99']);
    expect(await ids(multi, { a: 'd' })).toEqual(['d16']);
  });

  it('backfills an index created on a collection that has documents, and drops it with the collection', async () => {
    const late = db.db.collection<Doc>('late');
    const unindexed = db.db.collection<Doc>('unindexed');
    await late.insertMany(makeDocs());
    await unindexed.insertMany(makeDocs());
    await late.createIndex({ a: 1 }, { name: 'multi_a' });
    for (const filter of FILTERS) expect(await ids(late, filter), JSON.stringify(filter)).toEqual(await ids(unindexed, filter));

    // drop the index, write without it, create it again: what was written meanwhile is indexed
    await late.dropIndex('multi_a');
    await late.insertOne({ _id: 'e1', a: ['username=carol'] });
    await late.createIndex({ a: 1 }, { name: 'multi_a' });
    expect(await ids(late, { a: 'username=carol' })).toEqual(['e1']);

    // drop the collection, create it again under the same name: no rows left from the old one
    await late.drop();
    await late.createIndex({ a: 1 }, { name: 'multi_a' });
    await late.insertOne({ _id: 'e2', a: ['username=carol'] });
    expect(await ids(late, { a: 'username=carol' })).toEqual(['e2']);
    expect(await ids(late, { a: 'x' })).toEqual([]);

  });

  it.skipIf(testMongoKind() !== 'ferretdb')('explain shows the pushdown through the side table and the _id index', async () => {
    const explain = async (filter: Filter<Doc>, sort?: Sort) => {
      const cursor = multi.find(filter);
      if (sort) cursor.sort(sort);
      return (await cursor.explain()) as Document;
    };
    const eq = await explain({ a: 'username=alice' });
    expect(eq.filterPushdown).toBe(true);
    const plan = JSON.stringify(eq.queryPlanner);
    // the side table is its own (b, v, r) key (93-sqlite-multikey-side-table-without-rowid.patch, and
    // 9D-sqlite-multikey-buckets.patch: the value sought in each bucket)
    expect(plan).toMatch(/SEARCH s USING PRIMARY KEY \(b=\? AND v=\?\)/);
    expect(plan).toMatch(/SEARCH \S+ USING INDEX \S*__id_ \(<expr>=\?\)/);
    const inPlan = JSON.stringify((await explain({ a: { $in: ['x', 'y'] } })).queryPlanner);
    expect(inPlan).toMatch(/SEARCH s USING PRIMARY KEY \(b=\? AND v=\?\)/);
    const page = await explain({ a: 'username=alice', t: { $gte: new Date(T0) } }, { t: -1, _id: 1 });
    expect(page.filterPushdown).toBe(true);
    expect(page.sortPushdown).toBe(true);
    // not pushed: null, ranges, whole arrays; and nothing on the collection without the index
    for (const filter of [{ a: null }, { a: { $gt: 'x' } }, { a: ['x', 'y'] }] as Filter<Doc>[]) {
      expect((await explain(filter)).filterPushdown, JSON.stringify(filter)).toBe(false);
    }
    expect(((await plain.find({ a: 'x' }).explain()) as Document).filterPushdown).toBe(false);
  });
});
