// src/store/embedded/50-sqlite-count-pushdown.patch: a count whose whole filter is pushed down to SQLite (patches
// 20 and 40) is answered by SELECT COUNT(*), for the count command and for countDocuments' pipeline. The same
// documents live in `pushed` (indexes scalar_… and multi_…) and `plain` (the same keys, other names: counted in
// Go, as released); every count must be the same in both. The documents keep the indexes' promise (one type per
// path, no array on a scalar_ path, only scalars in a multi_ path), as taser's do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import { openTestDatabase, testMongoKind } from '../support/db.js';
import { DATES, makeDocs, pushedAndPlain, type Doc } from './pushdown-docs.js';

const FILTERS: Filter<Doc>[] = [
  {},
  { s: 'ab' },
  { s: 'nothing' },
  { s: { $in: ['ab', 'é', ''] } },
  { s: { $gt: 'A', $lte: 'mmm' } },
  { t: { $gte: DATES[1]!, $lt: DATES[3]! } },
  { t: DATES[1]! },
  { n: { $gt: 0 } },
  { n: 2 },
  { n: { $in: [1, 2.5, 2 ** 40] } },
  { o: new ObjectId('000000030000000000000000') },
  { flag: true },
  { flag: false },
  { 'nested.k': 'x' },
  { a: 'x' },
  { a: { $in: ['username=alice', 'y'] } },
  { a: 'username=alice', t: { $gte: DATES[1]! } },
  { s: 'ab', n: { $gte: 0 }, flag: true },
  { $and: [{ s: { $gte: 'ab' } }, { t: { $lt: DATES[4]! } }] },
  { $or: [{ s: 'ab' }, { n: 10 }] },
  { $or: [{ t: { $lt: DATES[2]! } }, { t: DATES[3]!, s: 'zz' }] },
  // not counted in SQL: a residual filter, null, other operators, a query value of another type than stored
  { s: 'ab', other: 1 },
  { s: null },
  { s: { $ne: 'ab' } },
  { s: { $exists: false } },
  { a: { $gt: 'x' } },
  { $or: [{ s: 'ab' }, {}] },
  { t: { $lt: 'x' } } as unknown as Filter<Doc>,
  { n: { $gt: 'a' } } as unknown as Filter<Doc>,
  { s: { $lt: 5 } } as unknown as Filter<Doc>,
  { flag: 1 } as unknown as Filter<Doc>,
  { n: true } as unknown as Filter<Doc>,
  { o: '000000030000000000000000' } as unknown as Filter<Doc>,
  { s: { $in: ['ab', 1] } } as unknown as Filter<Doc>,
];

/** The count command with a query (the driver's countDocuments sends an aggregate instead). */
async function countCommand(db: Db, collection: string, query: Filter<Doc>, extra: { skip?: number; limit?: number } = {}): Promise<number> {
  const res = await db.command({ count: collection, query, ...extra });
  return Number(res.n);
}

describe('count pushdown (embedded FerretDB patch 50)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let pushed: Collection<Doc>;
  let plain: Collection<Doc>;

  beforeAll(async () => {
    database = await openTestDatabase('countpush');
    ({ pushed, plain } = await pushedAndPlain(database.db, makeDocs()));
  });
  afterAll(async () => database?.drop());

  it('countDocuments, the count command and skip/limit give the same counts with and without the pushdown', { timeout: 120_000 }, async () => {
    for (const filter of FILTERS) {
      const what = JSON.stringify(filter);
      const expected = (await plain.find(filter).toArray()).length;
      expect(await plain.countDocuments(filter), what).toBe(expected);
      expect(await pushed.countDocuments(filter), what).toBe(expected);
      expect(await countCommand(database.db, 'pushed', filter), what).toBe(expected);
      expect(await countCommand(database.db, 'plain', filter), what).toBe(expected);
      for (const window of [{ skip: 5 }, { limit: 7 }, { skip: 3, limit: 4 }, { skip: 1000 }]) {
        const windowed = Math.min(Math.max(expected - (window.skip ?? 0), 0), window.limit ?? Infinity);
        expect(await pushed.countDocuments(filter, window), `${what} ${JSON.stringify(window)}`).toBe(windowed);
        expect(await countCommand(database.db, 'pushed', filter, window), `${what} ${JSON.stringify(window)}`).toBe(windowed);
      }
    }
    expect(await pushed.estimatedDocumentCount()).toBe(300);
    expect(await database.db.collection('nothing_here').countDocuments({ s: 'ab' })).toBe(0);
  });

  it('other pipelines that end in $group are not taken for a count', async () => {
    const pipelines = [
      [{ $match: { s: 'ab' } }, { $group: { _id: '$flag', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
      [{ $match: { s: 'ab' } }, { $group: { _id: 1, n: { $sum: '$n' } } }],
      [{ $match: { s: 'ab' } }, { $group: { _id: null, n: { $sum: 2 } } }],
      [{ $match: { s: 'ab' } }, { $group: { _id: 'all', n: { $sum: 1 }, m: { $sum: 1 } } }],
      [{ $match: { s: 'ab' } }, { $group: { _id: 'all', n: { $sum: 1 } } }],
      [{ $group: { _id: 1, n: { $sum: 1 } } }],
      [{ $match: { s: 'nothing' } }, { $group: { _id: 1, n: { $sum: 1 } } }],
    ];
    for (const pipeline of pipelines) {
      expect(await pushed.aggregate(pipeline).toArray(), JSON.stringify(pipeline)).toEqual(await plain.aggregate(pipeline).toArray());
    }
  });

  // The proof that SQL answers: a document that breaks the promise (true on the number path n, an embedded
  // document on the multi_ path a) is matched by the pushed WHERE (true and 1 are both 1 in SQL; the side table
  // holds the embedded document's member) but not by the filter in Go. A find, filtered in Go after SQL, leaves
  // it out; a count answered by SELECT COUNT(*) counts it. It is neither the smallest nor the largest value of
  // its path, so the type check does not see it.
  it.skipIf(testMongoKind() !== 'ferretdb')('answers from SQL when the whole filter is pushed, in Go otherwise', async () => {
    const broken = database.db.collection<Doc>('broken');
    await broken.createIndex({ n: 1 }, { name: 'scalar_n' });
    await broken.createIndex({ a: 1 }, { name: 'multi_a' });
    await broken.insertMany(makeDocs());
    await broken.insertOne({ _id: 'bad', n: true, a: { k: 'x' } } as never);

    const nInGo = (await broken.find({ n: 1 }).toArray()).length;
    expect(nInGo).toBeGreaterThan(0);
    expect(await broken.countDocuments({ n: 1 })).toBe(nInGo + 1);
    expect(await countCommand(database.db, 'broken', { n: 1 })).toBe(nInGo + 1);
    // a residual condition left for Go: counted in Go
    expect(await broken.countDocuments({ n: 1, other: { $gte: 0 } })).toBe(nInGo);

    const aInGo = (await broken.find({ a: 'x' }).toArray()).length;
    expect(await broken.countDocuments({ a: 'x' })).toBe(aInGo + 1);
    expect(await countCommand(database.db, 'broken', { a: 'x' })).toBe(aInGo + 1);
    expect(await broken.countDocuments({ a: 'x', other: { $gte: 0 } })).toBe(aInGo);

    // the same counts on the collection whose documents keep the promise
    expect(await pushed.countDocuments({ n: 1 })).toBe(await plain.countDocuments({ n: 1 }));
    expect(await pushed.countDocuments({ a: 'x' })).toBe(await plain.countDocuments({ a: 'x' }));
  });
});
