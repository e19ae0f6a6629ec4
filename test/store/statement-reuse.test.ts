// src/store/embedded/modernc-sqlite/10-reuse-write-statements.patch: the SQLite driver keeps each connection's
// compiled INSERT, UPDATE and DELETE statements for the next run of the same SQL. A kept statement must never write
// by a schema that changed since it was compiled (SQLite compiles it again: sqlite3_prepare_v2). Here the same
// writes run on `indexed` and on `plain` (no index), then `indexed`'s indexes change under the kept statements (a
// multi_ and a scalar_ index created, one dropped and created again, the collection dropped and created again), and
// after each change the same writes again: every filter must find, through the indexes (pushed down to SQLite),
// the documents it finds in Go on `plain`. A write that failed (E11000) must not break the next one of its shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyBulkWriteOperation, Collection, Filter } from 'mongodb';
import { openTestDatabase } from '../support/db.js';

interface Doc {
  _id: string;
  a: string[];
  s: string;
  n?: number;
}

const FILTERS: Filter<Doc>[] = [{ a: 'v1' }, { a: 'v3' }, { a: 'w0' }, { a: { $in: ['v2', 'w2'] } }, { s: 's1' }, { s: { $in: ['s0', 's3'] } }, { s: 's2', a: 'w1' }];

describe('kept write statements follow schema changes (embedded FerretDB driver patch)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let indexed: Collection<Doc>;
  let plain: Collection<Doc>;

  beforeAll(async () => {
    database = await openTestDatabase('stmtreuse');
    indexed = database.db.collection<Doc>('indexed');
    plain = database.db.collection<Doc>('plain');
  });
  afterAll(async () => database?.drop());

  // The same inserts, updates (one command of many statements, and single ones) and deletes on both collections.
  async function writeRound(k: number): Promise<void> {
    const docs = Array.from({ length: 30 }, (_, i): Doc => ({ _id: `r${k}-${i}`, a: [`v${k}`, `w${i % 3}`], s: `s${(i + k) % 4}` }));
    const updates: AnyBulkWriteOperation<Doc>[] = docs.slice(0, 20).map((d, i) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { a: [`v${(k + i) % 4}`, `w${(i + 1) % 3}`], s: `s${i % 4}` } } } }));
    for (const c of [indexed, plain]) {
      await c.insertMany(docs.map((d) => ({ ...d })));
      await c.bulkWrite(updates);
      await c.updateOne({ _id: `r${k}-25` }, { $set: { a: [`v${k + 1}`], s: 's1' } });
      await c.updateMany({ s: 's3' }, { $inc: { n: 1 } });
      await c.deleteMany({ _id: { $in: [`r${k}-26`, `r${k}-27`] } });
    }
  }

  async function expectSameAnswers(): Promise<void> {
    for (const filter of FILTERS) {
      const ids = async (c: Collection<Doc>) => (await c.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(await ids(indexed), JSON.stringify(filter)).toEqual(await ids(plain));
    }
    expect(await indexed.find().sort({ _id: 1 }).toArray()).toEqual(await plain.find().sort({ _id: 1 }).toArray());
  }

  it('through indexes created, dropped and created again, and the collection dropped and created again', async () => {
    await writeRound(0);
    await indexed.createIndexes([{ key: { a: 1 }, name: 'multi_a' }, { key: { s: 1 }, name: 'scalar_s' }]);
    await writeRound(1);
    await expectSameAnswers();
    await indexed.dropIndex('multi_a');
    await writeRound(2);
    await expectSameAnswers();
    await indexed.createIndex({ a: 1 }, { name: 'multi_a' });
    await writeRound(3);
    await expectSameAnswers();
    await indexed.drop();
    await indexed.createIndexes([{ key: { a: 1 }, name: 'multi_a' }, { key: { s: 1 }, name: 'scalar_s' }]);
    await indexed.insertMany(await plain.find().toArray());
    await writeRound(4);
    await expectSameAnswers();
  });

  it('a write refused by a unique index does not break the next write of its shape', async () => {
    const unique = database.db.collection<{ _id: string; u: string }>('unique');
    await unique.createIndex({ u: 1 }, { name: 'scalar_u', unique: true });
    await unique.insertMany([{ _id: 'a', u: 'x' }, { _id: 'b', u: 'y' }]);
    for (let round = 0; round < 3; round++) {
      await expect(unique.updateOne({ _id: 'b' }, { $set: { u: 'x' } })).rejects.toMatchObject({ code: 11000 });
      await unique.updateOne({ _id: 'b' }, { $set: { u: `z${round}` } });
      await expect(unique.insertOne({ _id: `c${round}`, u: 'x' })).rejects.toMatchObject({ code: 11000 });
      await unique.insertOne({ _id: `d${round}`, u: `d${round}` });
    }
    expect(await unique.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'a', u: 'x' }, { _id: 'b', u: 'z2' }, { _id: 'd0', u: 'd0' }, { _id: 'd1', u: 'd1' }, { _id: 'd2', u: 'd2' }]);
  });
});
