// An update command of many statements (what the driver sends for bulkWrite of updateOne / updateMany) keeps
// MongoDB's semantics on the test server: every statement runs, in order; an ordered command stops at its first
// failing statement and reports it at its index, an unordered one goes on; matched, modified and upserted counts
// (with each upsert's statement index) are right; a statement's filter sees the earlier statements' writes. On
// the embedded FerretDB (src/store/embedded/9A-batched-update-command.patch) the statements are one SQLite
// transaction: as released, 100 statements in one command hung the server, a failing statement failed the whole
// reply (no index, no counts), upserts were reported at the wrong index, and a kill part-way kept some statements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoBulkWriteError, MongoClient, type AnyBulkWriteOperation, type Collection } from 'mongodb';
import { startEmbeddedDb } from '../../src/store/embedded-db.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';

interface Doc {
  _id: string;
  n?: number;
  s?: string;
  state?: string;
  tag?: string;
  email?: string;
  hi?: number;
  gone?: boolean;
  by?: number;
  done?: boolean;
}

const ids = (count: number, prefix = 'd') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
const incEach = (count: number, by = 1): AnyBulkWriteOperation<Doc>[] => ids(count).map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { n: by } } } }));

/** [statement index, code] of each write error. */
const writeErrors = (err: MongoBulkWriteError) => [err.writeErrors].flat().map((e) => [e.index, e.code]);

async function bulkError(p: Promise<unknown>): Promise<MongoBulkWriteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoBulkWriteError);
  return err as MongoBulkWriteError;
}

describe('update commands of many statements', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let name = 0;

  beforeAll(async () => {
    database = await openTestDatabase('batchupd');
  });
  afterAll(async () => {
    await database.drop();
  });

  async function collection(docs: Doc[]): Promise<Collection<Doc>> {
    const c = database.db.collection<Doc>(`c${name++}`);
    if (docs.length) await c.insertMany(docs);
    return c;
  }

  it.each([true, false])('runs 1,000 updateOnes in one command (ordered: %s)', async (ordered) => {
    const c = await collection(ids(1000).map((_id) => ({ _id, n: 0 })));
    const r = await c.bulkWrite(incEach(1000), { ordered });
    expect([r.matchedCount, r.modifiedCount, r.upsertedCount]).toEqual([1000, 1000, 0]);
    expect(await c.countDocuments({ n: 1 })).toBe(1000);
  });

  it('runs four 1,000-statement commands at once, losing no write', async () => {
    const c = await collection(ids(1000).map((_id) => ({ _id, n: 0 })));
    const results = await Promise.all([1, 2, 3, 4].map((k) => c.bulkWrite(incEach(1000, k), { ordered: k % 2 === 0 })));
    expect(results.map((r) => r.modifiedCount)).toEqual([1000, 1000, 1000, 1000]);
    expect(await c.countDocuments({ n: 10 })).toBe(1000);
  });

  it('single-document writes and inserts beside long commands all land', async () => {
    const c = await collection(ids(1000).map((_id) => ({ _id, n: 0 })));
    const singles = async (k: number) => {
      for (let i = 0; i < 50; i++) await c.updateOne({ _id: `d${(i * 7 + k) % 1000}` }, { $inc: { by: 1 } });
    };
    const inserts = async () => {
      for (let b = 0; b < 10; b++) await c.insertMany(ids(100, `new${b}-`).map((_id) => ({ _id })));
    };
    await Promise.all([...[1, 2, 3, 4].map((k) => c.bulkWrite(incEach(1000, k))), singles(0), singles(1), inserts()]);
    expect(await c.countDocuments({ n: 10 })).toBe(1000);
    expect((await c.aggregate<{ total: number }>([{ $group: { _id: null, total: { $sum: '$by' } } }]).toArray())[0]?.total).toBe(100);
    expect(await c.countDocuments({ _id: { $regex: '^new' } })).toBe(1000);
  });

  /** Ten documents; statement 5 applies $inc to a string, which fails (TypeMismatch). */
  const failingFifth = (): AnyBulkWriteOperation<Doc>[] => ids(10).map((_id, i) => ({ updateOne: { filter: { _id }, update: i === 5 ? { $inc: { s: 1 } as never } : { $set: { tag: 'x' } } } }));

  it('an ordered command stops at its failing statement and reports its index', async () => {
    const c = await collection(ids(10).map((_id) => ({ _id, s: 'text' })));
    const err = await bulkError(c.bulkWrite(failingFifth(), { ordered: true }));
    expect(writeErrors(err)).toEqual([[5, 14]]);
    expect([err.result.matchedCount, err.result.modifiedCount]).toEqual([5, 5]);
    expect((await c.find({ tag: 'x' }).toArray()).map((d) => d._id).sort()).toEqual(ids(5).sort());
  });

  it('an unordered command goes on after its failing statement', async () => {
    const c = await collection(ids(10).map((_id) => ({ _id, s: 'text' })));
    const err = await bulkError(c.bulkWrite(failingFifth(), { ordered: false }));
    expect(writeErrors(err)).toEqual([[5, 14]]);
    expect([err.result.matchedCount, err.result.modifiedCount]).toEqual([9, 9]);
    expect(await c.countDocuments({ tag: 'x' })).toBe(9);
    expect((await c.findOne({ _id: 'd5' }))?.s).toBe('text');
  });

  it('a duplicate key on a unique index fails its statement alone', async () => {
    const c = await collection(ids(6).map((_id) => ({ _id, email: `${_id}@x` })));
    await c.createIndex({ email: 1 }, { unique: true });
    const ops: AnyBulkWriteOperation<Doc>[] = ids(6).map((_id, i) => ({ updateOne: { filter: { _id }, update: { $set: i === 2 ? { email: 'd0@x' } : { tag: 'y' } } } }));
    const unordered = await bulkError(c.bulkWrite(ops, { ordered: false }));
    expect(writeErrors(unordered)).toEqual([[2, 11000]]);
    expect(unordered.result.modifiedCount).toBe(5);
    expect(await c.findOne({ _id: 'd2' })).toEqual({ _id: 'd2', email: 'd2@x' });
    const inc = (_id: string): AnyBulkWriteOperation<Doc> => ({ updateOne: { filter: { _id }, update: { $inc: { n: 1 } } } });
    const ordered = await bulkError(c.bulkWrite([inc('d0'), inc('d1'), inc('d3'), ops[2]!, inc('d4'), inc('d5')], { ordered: true }));
    expect(writeErrors(ordered)).toEqual([[3, 11000]]);
    expect(await c.countDocuments({ n: 1 })).toBe(3);
  });

  it('reports each upsert at its statement index, and later statements see the upserted document', async () => {
    const c = await collection([{ _id: 'a', n: 1 }]);
    const r = await c.bulkWrite(
      [
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 1 } }, upsert: true } },
        { updateOne: { filter: { _id: 'new1' }, update: { $set: { n: 10 } }, upsert: true } },
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 1 } } } },
        { updateOne: { filter: { _id: 'new3' }, update: { $set: { n: 30 } }, upsert: true } },
        { updateOne: { filter: { _id: 'new1', n: 10 }, update: { $inc: { n: 1 } } } },
        { updateOne: { filter: { _id: 'new3' }, update: { $set: { n: 30 } }, upsert: true } },
      ],
      { ordered: false },
    );
    expect(r.upsertedIds).toEqual({ 1: 'new1', 3: 'new3' });
    expect([r.upsertedCount, r.matchedCount, r.modifiedCount]).toEqual([2, 4, 3]);
    expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 3 },
      { _id: 'new1', n: 11 },
      { _id: 'new3', n: 30 },
    ]);
  });

  it('applies $inc, $set, $unset and $max in order, a no-op matched but not modified', async () => {
    const c = await collection([{ _id: 'a', n: 1, s: 'x', gone: true, hi: 5 }]);
    const r = await c.bulkWrite([
      { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 2 } } } },
      { updateOne: { filter: { _id: 'a' }, update: { $set: { s: 'y' } } } },
      { updateOne: { filter: { _id: 'a' }, update: { $unset: { gone: '' } } } },
      { updateOne: { filter: { _id: 'a' }, update: { $max: { hi: 3 } } } },
      { updateOne: { filter: { _id: 'a' }, update: { $max: { hi: 9 } } } },
    ]);
    expect([r.matchedCount, r.modifiedCount]).toEqual([5, 4]);
    expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 3, s: 'y', hi: 9 });
  });

  it('a conditional statement does not match a document an earlier statement changed', async () => {
    const c = await collection([
      { _id: 'a', state: 'open' },
      { _id: 'b', state: 'open' },
    ]);
    const r = await c.bulkWrite([
      { updateOne: { filter: { _id: 'a', state: 'open' }, update: { $set: { state: 'closed' } } } },
      { updateOne: { filter: { _id: 'a', state: 'open' }, update: { $set: { by: 2 } } } },
      // no _id: the first open one is b now, then none
      { updateOne: { filter: { state: 'open' }, update: { $set: { state: 'taken', by: 3 } } } },
      { updateOne: { filter: { state: 'open' }, update: { $set: { state: 'taken', by: 4 } } } },
      { updateMany: { filter: { state: { $in: ['closed', 'taken'] } }, update: { $set: { tag: 'seen' } } } },
    ]);
    expect([r.matchedCount, r.modifiedCount]).toEqual([4, 4]);
    expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', state: 'closed', tag: 'seen' },
      { _id: 'b', state: 'taken', by: 3, tag: 'seen' },
    ]);
  });

  it('an updateMany that moves documents along the index it reads updates each once', async () => {
    const c = await collection(ids(200).map((_id, i) => ({ _id, n: i })));
    await c.createIndex({ n: 1 }, { name: 'scalar_n' });
    const r = await c.bulkWrite([
      { updateMany: { filter: { n: { $gte: 0 } }, update: { $inc: { n: 1000 } } } },
      { updateOne: { filter: { _id: 'd0', n: 1000 }, update: { $set: { tag: 'z' } } } },
    ]);
    expect([r.matchedCount, r.modifiedCount]).toEqual([201, 201]);
    const docs = await c.find({}).toArray();
    expect(docs.every((d) => d.n === Number(d._id.slice(1)) + 1000)).toBe(true);
  });

  it('a collection and an index created during a long command on the same database are created', async () => {
    const COUNT = 3000;
    const c = await collection(ids(COUNT).map((_id) => ({ _id, n: 0 })));
    const started = performance.now();
    await c.bulkWrite(incEach(COUNT));
    const fullMs = performance.now() - started;
    const running = c.bulkWrite(incEach(COUNT));
    await new Promise((r) => setTimeout(r, fullMs / 3));
    const other = database.db.collection<Doc>(`c${name++}`);
    // As first written, the index build held FerretDB's registry lock while it waited for SQLite's write lock, and
    // the command held that while it waited for the registry: the build failed after SQLite's 10 s busy timeout.
    const [index] = await Promise.all([other.createIndex({ tag: 1 }, { name: 'scalar_tag' }), running]);
    expect(index).toBe('scalar_tag');
    expect(await c.countDocuments({ n: 2 })).toBe(COUNT);
    expect((await other.indexes()).map((i) => i.name)).toContain('scalar_tag');
  });
});

describe.skipIf(testMongoKind() !== 'ferretdb')('an update command on the embedded database is one transaction', { timeout: 180_000 }, () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'taser-batched-update-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a kill part-way through keeps none of its statements', async () => {
    const COUNT = 4000;
    let server = await startEmbeddedDb(dir);
    const options = { retryWrites: false, serverSelectionTimeoutMS: 5000 };
    let client = await MongoClient.connect(server.uri, options);
    const coll = (cl: MongoClient) => cl.db('crash').collection<Doc>('docs');
    await coll(client).insertMany([...ids(COUNT, 'a'), ...ids(COUNT, 'b')].map((_id) => ({ _id, done: false })));
    const setDone = (prefix: string): AnyBulkWriteOperation<Doc>[] => ids(COUNT, prefix).map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { done: true } } } }));
    // The same command once to its end: how long it takes here, and that it applies every statement.
    const started = performance.now();
    expect((await coll(client).bulkWrite(setDone('a'))).modifiedCount).toBe(COUNT);
    const fullMs = performance.now() - started;

    const pending = coll(client).bulkWrite(setDone('b')).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, fullMs / 3));
    server.process.kill('SIGKILL');
    expect(await pending).toBe('failed'); // killed before it answered: part-way
    await client.close().catch(() => {});

    server = await startEmbeddedDb(dir);
    client = await MongoClient.connect(server.uri, options);
    try {
      const done = await coll(client).countDocuments({ _id: { $in: ids(COUNT, 'b') }, done: true });
      expect([0, COUNT]).toContain(done);
      expect(await coll(client).countDocuments({ done: true, _id: { $in: ids(COUNT, 'a') } })).toBe(COUNT);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
