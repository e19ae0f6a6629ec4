// The embedded database's write path as taser's hot path uses it, kept exactly as it answered before the write
// patches (src/store/embedded/90-…, 91-…): signal batches stored with the signals collection's real indexes
// (scalar_ expressions, the multi_ side table) come back as written and are found through every index; unique
// indexes answer E11000 within a batch, across batches and across FerretDB's 100-document transactions; ordered
// inserts stop at the first error and unordered ones go on; and (91: synchronous=NORMAL in WAL mode) every
// acknowledged write survives the server being killed, with the database intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoBulkWriteError, MongoClient, type Collection } from 'mongodb';
import { SignalStore, type StoredSignal } from '../../src/signals/store.js';
import type { Signal } from '../../src/signals/signal.js';
import { decodeSignal } from '../../src/signals/stored-form.js';
import { startEmbeddedDb } from '../../src/store/embedded-db.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';

const T0 = Date.UTC(2026, 10, 1);
const TYPES = ['login', 'dns', 'proc'];

function makeSignals(from: number, count: number): Signal[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    return {
      id: `s${i}`,
      source: i % 2 ? 'edr' : 'idp',
      type: TYPES[i % 3]!,
      occurredAt: new Date(T0 + i * 1000).toISOString(),
      severity: 'low',
      artifacts: { username: `user${i % 11}`, ip: [`10.0.${i % 7}.1`, '10.9.9.9'], note: 'é "quoted" \\ \u2028' },
      raw: { n: i, nested: { list: [1, 'x', null, { deep: true }] } },
    } as Signal;
  });
}

async function uniqueBulkError(p: Promise<unknown>): Promise<{ inserted: number; failedIndexes: number[]; codes: number[] }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoBulkWriteError);
  const bulk = err as MongoBulkWriteError;
  const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
  return { inserted: bulk.insertedCount, failedIndexes: writeErrors.map((w) => w.index), codes: writeErrors.map((w) => w.code) };
}

describe('the write path: signal batches, unique indexes and insert errors', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: SignalStore;

  beforeAll(async () => {
    db = await openTestDatabase('writepath');
    store = new SignalStore(db.db);
    await store.ensureIndexes();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('stores batches of 1, 100 and 1,000 signals as written, found through each index', async () => {
    const signals = makeSignals(0, 1101);
    let at = 0;
    for (const size of [1, 100, 1000]) {
      const { inserted, duplicates } = await store.insert(signals.slice(at, at + size), new Date(T0));
      expect(inserted).toHaveLength(size);
      expect(duplicates).toHaveLength(0);
      at += size;
    }
    const stored = await store.collection.find({}).sort({ _id: 1 }).toArray();
    expect(stored).toHaveLength(1101);
    const byId = new Map(stored.map((d) => [d._id, d]));
    for (const s of signals) {
      const d = byId.get(`${s.source}/${s.id}`)!;
      expect(decodeSignal(d)).toEqual(s);
      expect(d.occurredAt).toEqual(new Date(s.occurredAt));
      expect(d.receivedAt).toEqual(new Date(T0));
    }
    // every index answers what a filter in JavaScript answers
    const expectIds = async (filter: object, keep: (d: StoredSignal) => boolean) => {
      const found = (await store.collection.find(filter).toArray()).map((d) => d._id).sort();
      expect(found, JSON.stringify(filter)).toEqual(stored.filter(keep).map((d) => d._id).sort());
    };
    await expectIds({ artifactValues: 'username=user3' }, (d) => d.artifactValues.includes('username=user3'));
    await expectIds({ artifactValues: '10.0.4.1' }, (d) => d.artifactValues.includes('10.0.4.1'));
    await expectIds({ 'signal.type': 'dns' }, (d) => d.signal.type === 'dns');
    await expectIds({ 'signal.source': 'edr', occurredAt: { $gte: new Date(T0 + 500_000) } }, (d) => d.signal.source === 'edr' && d.occurredAt.getTime() >= T0 + 500_000);
    expect(await store.collection.countDocuments({ artifactValues: '10.9.9.9' })).toBe(1101);

    // a batch again, with new signals among the old: the old ones are duplicates, the new ones stored
    const again = [...signals.slice(50, 150), ...makeSignals(2000, 20)];
    const second = await store.insert(again);
    expect(second.inserted.map((s) => s.id)).toEqual(makeSignals(2000, 20).map((s) => s.id));
    expect(second.duplicates).toHaveLength(100);
    expect(await store.collection.countDocuments({})).toBe(1121);
  });

  it('answers E11000 on a unique index within a batch, across batches and past 100 documents, ordered and unordered', async () => {
    const c: Collection<{ _id: string; k: number }> = db.db.collection('uniq');
    await c.createIndex({ k: 1 }, { name: 'k_unique', unique: true });
    const docs = (from: number, n: number) => Array.from({ length: n }, (_, j) => ({ _id: `u${from + j}`, k: from + j }));

    // unordered: a duplicate within the batch (k of 7 again at 160) and one of an earlier batch (at 230)
    await c.insertMany(docs(1000, 5));
    const batch = docs(0, 250);
    batch[160] = { _id: 'dup-in-batch', k: 7 };
    batch[230] = { _id: 'dup-across', k: 1002 };
    const unordered = await uniqueBulkError(c.insertMany(batch, { ordered: false }));
    expect(unordered.failedIndexes).toEqual([160, 230]);
    expect(unordered.codes).toEqual([11000, 11000]);
    expect(unordered.inserted).toBe(248);
    expect(await c.countDocuments({})).toBe(253);
    expect(await c.countDocuments({ _id: { $in: ['dup-in-batch', 'dup-across', 'u249'] } })).toBe(1);

    // ordered: stops at the first error (at 150, past the first 100), nothing after it is written
    const ordered = docs(300, 200);
    ordered[150] = { _id: 'dup-ordered', k: 1003 };
    const stopped = await uniqueBulkError(c.insertMany(ordered, { ordered: true }));
    expect(stopped.failedIndexes).toEqual([150]);
    expect(stopped.inserted).toBe(150);
    expect(await c.countDocuments({ k: { $gte: 300, $lt: 500 } })).toBe(150);
    expect(await c.findOne({ _id: 'u451' })).toBeNull();

    // the same _id twice in one batch
    const ids = await uniqueBulkError(c.insertMany([{ _id: 'x1', k: 5000 }, { _id: 'x1', k: 5001 }, { _id: 'x2', k: 5002 }], { ordered: false }));
    expect(ids.failedIndexes).toEqual([1]);
    expect(await c.countDocuments({ k: { $gte: 5000 } })).toBe(2);
  });
});

describe.skipIf(testMongoKind() !== 'ferretdb')('the embedded database killed after acknowledged writes', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'taser-write-crash-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write, with its indexes, after SIGKILL', async () => {
    let server = await startEmbeddedDb(dir);
    let client = await MongoClient.connect(server.uri);
    const store = new SignalStore(client.db('crash'));
    await store.ensureIndexes();
    for (let b = 0; b < 10; b++) await store.insert(makeSignals(b * 100, 100));
    await store.collection.updateOne({ _id: 'edr/s1' }, { $set: { batch: 'changed' } });
    server.process.kill('SIGKILL');
    await new Promise((resolve) => server.process.once('exit', resolve));
    await client.close(true);

    server = await startEmbeddedDb(dir);
    client = await MongoClient.connect(server.uri);
    try {
      const c = client.db('crash').collection<StoredSignal>('signals');
      expect(await c.countDocuments({})).toBe(1000);
      expect((await c.findOne({ _id: 'edr/s1' }))?.batch).toBe('changed');
      expect(await c.countDocuments({ artifactValues: 'username=user3' })).toBe(91);
      expect((await c.indexes()).map((i) => i.name).sort()).toEqual(['_id_', 'multi_artifactValues', 'scalar_occurredAt', 'scalar_source', 'scalar_type']);
      // every document reads back whole, in the scalar_ index's order
      const all = await c.find({ occurredAt: { $gte: new Date(T0) } }).sort({ occurredAt: -1, _id: 1 }).toArray();
      expect(all.map((d) => d.signal.id)).toEqual(makeSignals(0, 1000).reverse().map((s) => s.id));
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
