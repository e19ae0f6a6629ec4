// Single-document writes are atomic on the test server, as on MongoDB: concurrent conditional updates have one
// winner, concurrent $inc and $set of different fields lose nothing, concurrent upserts of one _id make one
// document, a conditional delete never removes a document a concurrent update changed. On the embedded FerretDB
// this holds because of src/store/embedded/30-atomic-updates.patch (compare-and-swap writes, retried on conflict);
// FerretDB as released fails these tests. Several clients make the concurrency real: each has its own connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { openTestDatabase, testMongoUri } from '../support/db.js';
import { isDuplicateKeyError } from '../../src/store/mongo.js';

const CLIENTS = 4;
/** Concurrent writers per round: enough that, unpatched, their read-modify-write windows overlap in most rounds. */
const WRITERS = 12;
const ROUNDS = 5;

describe('atomic single-document writes', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  const clients: MongoClient[] = [];
  let name = 0;

  beforeAll(async () => {
    database = await openTestDatabase('atomic');
    for (let i = 0; i < CLIENTS; i++) {
      const client = new MongoClient(testMongoUri(), { maxPoolSize: WRITERS });
      await client.connect();
      clients.push(client);
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await database.drop();
  });

  /** A fresh collection seen through every client: views[i] is client i % CLIENTS's handle. */
  async function collection<T extends Document>(seed: T[]): Promise<{ views: Collection<T>[]; main: Collection<T> }> {
    const collName = `c${name++}`;
    const main = database.db.collection<T>(collName);
    // A few other documents, so that a filter is not trivially the whole collection.
    await main.insertMany([...seed, ...Array.from({ length: 20 }, (_, i) => ({ _id: `other-${i}`, state: 'other' }) as unknown as T)] as never);
    const views = Array.from({ length: WRITERS }, (_, i) => clients[i % CLIENTS]!.db(database.db.databaseName).collection<T>(collName));
    return { views, main };
  }

  it('a conditional update has exactly one winner among concurrent writers', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { views, main } = await collection([{ _id: 'flow', state: 'waiting' }]);
      const results = await Promise.all(views.map((c, i) => c.updateOne({ _id: 'flow', state: 'waiting' }, { $set: { state: `answered-${i}` } })));
      const winners = results.flatMap((r, i) => (r.modifiedCount === 1 ? [i] : []));
      expect(winners, `round ${round}`).toHaveLength(1);
      expect(results.reduce((n, r) => n + r.matchedCount, 0)).toBe(1);
      expect((await main.findOne({ _id: 'flow' }))?.state).toBe(`answered-${winners[0]}`);
    }
  });

  it('concurrent $inc of one document add up', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { views, main } = await collection([{ _id: 'counter', state: 'x', n: 0 }]);
      const results = await Promise.all(views.map((c) => c.updateOne({ _id: 'counter' }, { $inc: { n: 1 } })));
      expect(results.every((r) => r.modifiedCount === 1)).toBe(true);
      expect((await main.findOne({ _id: 'counter' }))?.n, `round ${round}`).toBe(WRITERS);
    }
  });

  it('concurrent $set of different fields of one document are all kept', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { views, main } = await collection<{ _id: string; state: string; [field: string]: unknown }>([{ _id: 'case', state: 'open' }]);
      await Promise.all(views.map((c, i) => c.updateOne({ _id: 'case' }, { $set: { [`f${i}`]: i } })));
      const doc = await main.findOne({ _id: 'case' });
      const missing = views.map((_, i) => `f${i}`).filter((f) => doc?.[f] === undefined);
      expect(missing, `round ${round}`).toEqual([]);
      expect(doc?.state).toBe('open');
    }
  });

  it('a conditional findOneAndUpdate has exactly one winner, and it gets the document as it was', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { views, main } = await collection([{ _id: 'job', state: 'waiting', owner: null as number | null }]);
      const results = await Promise.all(views.map((c, i) => c.findOneAndUpdate({ _id: 'job', state: 'waiting' }, { $set: { state: 'claimed', owner: i } })));
      const winners = results.flatMap((r, i) => (r ? [{ i, before: r }] : []));
      expect(winners, `round ${round}`).toHaveLength(1);
      expect(winners[0]!.before).toMatchObject({ state: 'waiting', owner: null });
      expect((await main.findOne({ _id: 'job' }))?.owner).toBe(winners[0]!.i);
    }
  });

  it('concurrent claims of a queue each get a different document, none left unclaimed', async () => {
    const jobs = Array.from({ length: WRITERS }, (_, i) => ({ _id: `job-${i}`, state: 'waiting', owner: -1 }));
    const { views, main } = await collection(jobs);
    const claimed = await Promise.all(views.map((c, i) => c.findOneAndUpdate({ state: 'waiting' }, { $set: { state: 'claimed', owner: i } }, { sort: { _id: 1 }, returnDocument: 'after' })));
    const ids = claimed.map((d) => d?._id);
    expect(new Set(ids).size).toBe(WRITERS);
    expect(await main.countDocuments({ state: 'waiting' })).toBe(0);
  });

  it('concurrent findOneAndDelete each take a different document', async () => {
    const jobs = Array.from({ length: WRITERS / 3 }, (_, i) => ({ _id: `job-${i}`, state: 'waiting' }));
    const { views, main } = await collection(jobs);
    const taken = (await Promise.all(views.map((c) => c.findOneAndDelete({ state: 'waiting' }, { sort: { _id: 1 } })))).filter((d) => d !== null);
    expect(taken.map((d) => d._id).sort()).toEqual(jobs.map((j) => j._id).sort());
    expect(await main.countDocuments({ state: 'waiting' })).toBe(0);
  });

  it('concurrent upserts of one _id make one document, count every write, and raise no error', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { views, main } = await collection<{ _id: string; n?: number; state?: string }>([]);
      const results = await Promise.all(views.map((c) => c.updateOne({ _id: 'upserted' }, { $inc: { n: 1 } }, { upsert: true })));
      expect(results.reduce((n, r) => n + r.upsertedCount, 0), `round ${round}`).toBe(1);
      expect(await main.countDocuments({ _id: 'upserted' })).toBe(1);
      expect((await main.findOne({ _id: 'upserted' }))?.n).toBe(WRITERS);
    }
  });

  it('a conditional delete never removes a document that a concurrent update made no longer match', async () => {
    // A lease: its holder renews it while another replica deletes it if expired; never both.
    const past = new Date(Date.now() - 60_000);
    for (let round = 0; round < ROUNDS * 2; round++) {
      const { views, main } = await collection([{ _id: 'lease', state: 'held', expiresAt: past }]);
      const half = WRITERS / 2;
      const results = await Promise.all(
        views.map((c, i) =>
          i < half
            ? c.updateOne({ _id: 'lease', expiresAt: past }, { $set: { expiresAt: new Date(Date.now() + 60_000 + i) } }).then((r) => ({ renewed: r.modifiedCount, deleted: 0 }))
            : c.deleteOne({ _id: 'lease', expiresAt: { $lt: new Date() } }).then((r) => ({ renewed: 0, deleted: r.deletedCount })),
        ),
      );
      const renewed = results.reduce((n, r) => n + r.renewed, 0);
      const deleted = results.reduce((n, r) => n + r.deleted, 0);
      expect(renewed + deleted, `round ${round}: renewed ${renewed}, deleted ${deleted}`).toBe(1);
      expect(await main.countDocuments({ _id: 'lease' })).toBe(renewed);
    }
  });

  it('an update or upsert that would break a unique index is refused with E11000, and nothing changes', async () => {
    const coll = database.db.collection<{ _id: string; key: number }>(`c${name++}`);
    await coll.createIndex({ key: 1 }, { unique: true });
    await coll.insertMany([{ _id: 'a', key: 1 }, { _id: 'b', key: 2 }]);
    const refused = await coll.updateOne({ _id: 'b' }, { $set: { key: 1 } }).catch((e: unknown) => e);
    expect(isDuplicateKeyError(refused)).toBe(true);
    const upsert = await coll.updateOne({ _id: 'c' }, { $set: { key: 2 } }, { upsert: true }).catch((e: unknown) => e);
    expect(isDuplicateKeyError(upsert)).toBe(true);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'a', key: 1 }, { _id: 'b', key: 2 }]);
  });
});
