// src/store/embedded/20-sqlite-index-pushdown.patch: filters and sorts on the key paths of `scalar_` indexes are
// pushed down to SQLite. The same documents live in two collections with the same index keys: `pushed`, whose
// indexes are named scalar_… (pushdown allowed), and `plain`, whose indexes are not (everything is filtered and
// sorted in Go, as released). Every query must answer the same documents in the same order from both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId, type Collection, type Document, type Filter, type Sort } from 'mongodb';
import { pino } from 'pino';
import { ensureRetention, retentionConfigSchema } from '../../src/store/retention.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';
import { prng } from '../support/prng.js';

interface Doc {
  _id: string;
  s?: string | null;
  t?: Date | null;
  n?: number | null;
  o?: ObjectId;
  nested?: { k?: string | null; d?: Date };
  m?: unknown;
  flag?: boolean;
}

const KEYS: Record<string, Record<string, 1 | -1>> = {
  s: { s: 1, _id: 1 },
  t: { t: -1, _id: 1 },
  n: { n: 1, _id: 1 },
  o: { o: 1 },
  nested: { 'nested.k': 1, 'nested.d': -1, _id: 1 },
  m: { m: 1 },
  flag: { flag: 1 },
};

// Strings whose JSON text would sort differently from their bytes (space, '!', quote, backslash, '<' that Go escapes,
// non-ASCII, U+2028), dates before 2001 (12-digit and negative milliseconds), negative and fractional numbers.
const STRINGS = ['ab', 'ab c', 'ab!', 'a"b', 'a\\b', 'a<b', 'a&b', 'é', 'z\u2028', '', 'A', '2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.001Z', '10', '9'];
const DATES = [new Date(-86_400_000 * 400), new Date(0), new Date(999_999_999_999), new Date(1_000_000_000_000), new Date(Date.UTC(2026, 10, 30)), new Date(Date.UTC(2031, 0, 1))];
const NUMBERS = [-5, -0.5, 0, 0.25, 1, 2, 9, 10, 11.5, 100, 2 ** 40, -(2 ** 40)];

function makeDocs(): Doc[] {
  const random = prng(9);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const docs: Doc[] = [];
  for (let i = 0; i < 240; i++) {
    const d: Doc = { _id: `d${String(i).padStart(3, '0')}` };
    const r = random();
    if (r < 0.8) d.s = pick(STRINGS);
    else if (r < 0.9) d.s = null; // and 10 % missing
    if (random() < 0.85) d.t = pick(DATES);
    if (random() < 0.85) d.n = pick(NUMBERS);
    if (random() < 0.9) d.o = new ObjectId(`${String(i % 17).padStart(8, '0')}${'0'.repeat(16)}`);
    const rn = random();
    if (rn < 0.7) d.nested = { k: pick(['x', 'y', 'x y']), d: pick(DATES) };
    else if (rn < 0.8) d.nested = { k: null };
    else if (rn < 0.9) d.nested = {};
    // several types in one path: filters stay exact (sorts on such a path are not promised)
    d.m = pick<unknown>(['x', 'y', 1, 2.5, true, false, DATES[3], null, new ObjectId('0000000a0000000000000000')]);
    if (random() < 0.8) d.flag = random() < 0.5;
    docs.push(d);
  }
  return docs;
}

describe('scalar_ index pushdown (embedded FerretDB patch 20)', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let pushed: Collection<Doc>;
  let plain: Collection<Doc>;

  beforeAll(async () => {
    db = await openTestDatabase('pushdown');
    pushed = db.db.collection<Doc>('pushed');
    plain = db.db.collection<Doc>('plain');
    const docs = makeDocs();
    await pushed.insertMany(docs.map((d) => ({ ...d })));
    await plain.insertMany(docs.map((d) => ({ ...d })));
    for (const [name, key] of Object.entries(KEYS)) {
      await pushed.createIndex(key, { name: `scalar_${name}` });
      await plain.createIndex(key, { name: `plain_${name}` });
    }
  });
  afterAll(async () => db?.drop());

  async function same(filter: Filter<Doc>, options: { sort?: Sort; skip?: number; limit?: number } = {}): Promise<string[]> {
    const run = (c: Collection<Doc>) => {
      let cursor = c.find(filter);
      if (options.sort) cursor = cursor.sort(options.sort);
      if (options.skip) cursor = cursor.skip(options.skip);
      if (options.limit) cursor = cursor.limit(options.limit);
      return cursor.toArray();
    };
    const [a, b] = await Promise.all([run(pushed), run(plain)]);
    const ids = (docs: Doc[]) => docs.map((d) => d._id);
    // without a sort the order is the storage's: compare as sets
    if (options.sort) expect(ids(a)).toEqual(ids(b));
    else expect(ids(a).sort()).toEqual(ids(b).sort());
    expect(await pushed.countDocuments(filter)).toBe(await plain.countDocuments(filter));
    return ids(a);
  }

  it('equality, $eq and $in on strings, dates, numbers, ObjectIds and booleans', async () => {
    for (const s of STRINGS) expect((await same({ s })).length).toBeGreaterThanOrEqual(0);
    expect((await same({ s: 'ab c' })).length).toBeGreaterThan(0);
    for (const t of DATES) await same({ t: { $eq: t } });
    for (const n of NUMBERS) await same({ n });
    await same({ n: 1.0 });
    await same({ n: { $in: [1, 2.0, 9, 2 ** 40] } });
    await same({ s: { $in: ['ab', 'ab c', 'é', 'nothing'] } });
    await same({ t: { $in: DATES.slice(0, 3) } });
    await same({ o: new ObjectId('000000030000000000000000') });
    await same({ o: { $in: [new ObjectId('000000030000000000000000'), new ObjectId('000000050000000000000000')] } });
    await same({ flag: true });
    await same({ flag: false });
    await same({ s: 'ab', n: { $gte: 0 } });
  });

  it('each range, on each type, and ranges that cross types', async () => {
    for (const op of ['$gt', '$gte', '$lt', '$lte'] as const) {
      for (const s of ['ab', 'ab c', '9', 'é']) await same({ s: { [op]: s } });
      for (const t of DATES) await same({ t: { [op]: t } });
      for (const n of [-1, 0, 1, 9.5, 10, 2 ** 40]) await same({ n: { [op]: n } });
      await same({ o: { [op]: new ObjectId('000000080000000000000000') } });
      await same({ m: { [op]: 'x' } });
      await same({ m: { [op]: 1 } });
      await same({ m: { [op]: DATES[3]! } });
      await same({ m: { [op]: false } });
    }
    await same({ t: { $gte: DATES[1]!, $lt: DATES[4]! } });
    await same({ s: { $gt: 'a', $lte: 'ab!' }, n: { $lt: 10 } });
  }, 60_000);

  it('null, missing, mixed types and operators that are not pushed', async () => {
    await same({ s: null });
    await same({ s: { $in: [null, 'ab'] } });
    await same({ s: { $exists: false } });
    await same({ s: { $ne: 'ab' } });
    await same({ 'nested.k': null });
    for (const m of ['x', 1, 2.5, true, false, DATES[3]!, null]) await same({ m });
    await same({ m: { $in: ['x', 1, true] } });
    await same({ n: { $gt: 'a' } } as unknown as Filter<Doc>); // a string bound on a number path: nothing in MongoDB's type bracket
    await same({ s: { $lt: 5 } } as unknown as Filter<Doc>);
  });

  it('dotted paths', async () => {
    await same({ 'nested.k': 'x' });
    await same({ 'nested.k': 'x y', 'nested.d': { $gte: DATES[2]! } });
    await same({ 'nested.d': { $lt: DATES[4]! } }, { sort: { 'nested.k': 1, 'nested.d': -1, _id: 1 } });
    await same({ nested: { k: 'x' } }); // equality with an embedded document: not pushed
  });

  it('$and and $or (the keyset page filter)', async () => {
    await same({ $and: [{ s: { $gte: 'ab' } }, { n: { $lt: 10 } }] });
    await same({ $or: [{ t: { $lt: DATES[4]! } }, { t: DATES[4]!, _id: { $gt: 'd100' } }] }, { sort: { t: -1, _id: 1 }, limit: 30 });
    await same({ $or: [{ s: 'ab' }, { n: 9 }] });
    await same({ $or: [{ s: 'ab' }, { nothingIndexed: 1 }] });
    // the bounds every branch implies are pushed too (inclusive where any branch includes the edge)
    await same({ $or: [{ n: { $gte: 1, $lt: 9 } }, { n: 9 }] });
    await same({ $or: [{ n: { $gt: 1, $lt: 9 } }, { n: { $gte: 1, $lte: 2 } }] });
    await same({ $or: [{ s: { $gt: 'ab' } }, { s: 'a"b' }, { s: { $lte: 'A' } }] });
    await same({ $or: [{ t: { $lt: DATES[3]! } }, { t: { $lte: DATES[3]! }, _id: { $gt: 'd100' } }] }, { sort: { t: -1, _id: 1 } });
    await same({ $or: [{ m: { $lt: 2 } }, { m: { $gt: 'x' } }] }); // a number and a string bound: SQLite's order
  }, 60_000);

  it('sorts both ways, with limit and skip, the order MongoDB gives', async () => {
    for (const [path, key] of Object.entries(KEYS)) {
      if (path === 'm' || path === 'o' || path === 'flag') continue; // not unique with _id: ties have no order
      const reverse = Object.fromEntries(Object.entries(key).map(([k, v]) => [k, -v])) as Record<string, 1 | -1>;
      for (const sort of [key, reverse]) {
        expect((await same({}, { sort })).length).toBe(240);
        await same({}, { sort, limit: 50 });
        await same({}, { sort, skip: 30, limit: 20 });
        await same({ n: { $gte: 0 } }, { sort, limit: 25 });
      }
    }
    await same({}, { sort: { s: 1, _id: 1 } }); // strings below '"' in JSON text and non-ASCII: byte order
    await same({ t: { $gte: DATES[0]! } }, { sort: { t: 1, _id: -1 }, limit: 10 }); // negative and 12-digit ms
  }, 60_000);

  it.skipIf(testMongoKind() !== 'ferretdb')('explain shows the pushdown for scalar_ indexes only', async () => {
    const explain = async (c: Collection<Doc>, filter: Filter<Doc>, sort?: Sort) => {
      let cursor = c.find(filter);
      if (sort) cursor = cursor.sort(sort);
      return (await cursor.explain()) as Document;
    };
    const eq = await explain(pushed, { s: 'ab' });
    expect(eq.filterPushdown).toBe(true);
    expect(JSON.stringify(eq.queryPlanner)).toMatch(/USING INDEX \S*_scalar_s/);
    const dotted = await explain(pushed, { 'nested.k': 'x', 'nested.d': { $gt: DATES[1]! } });
    expect(dotted.filterPushdown).toBe(true);
    expect(JSON.stringify(dotted.queryPlanner)).toMatch(/USING INDEX \S*_scalar_nested/);
    const page = await explain(pushed, { t: { $lt: DATES[4]! } }, { t: -1, _id: 1 });
    expect(page.filterPushdown).toBe(true);
    expect(page.sortPushdown).toBe(true);
    expect(JSON.stringify(page.queryPlanner)).not.toMatch(/TEMP B-TREE/);
    // a keyset page: the OR's implied bound makes it an index range, not a scan from the newest
    const keyset = await explain(pushed, { $or: [{ t: { $lt: DATES[4]! } }, { t: DATES[4]!, _id: { $gt: 'd100' } }] }, { t: -1, _id: 1 });
    expect(JSON.stringify(keyset.queryPlanner)).toMatch(/SEARCH \S+ USING INDEX \S*_scalar_t \(<expr><\?\)/);
    const range = await explain(pushed, { n: { $gte: 1, $lt: 10 } });
    expect(JSON.stringify(range.queryPlanner)).toMatch(/USING INDEX \S*_scalar_n \(.*[<>]/);

    for (const [filter, sort] of [[{ s: 'ab' }, undefined], [{ t: { $lt: DATES[4]! } }, { t: -1, _id: 1 }]] as const) {
      const p = await explain(plain, filter as Filter<Doc>, sort);
      expect(p.filterPushdown).toBe(false);
      expect(p.sortPushdown).toBe(false);
    }
    // what is not pushed even on a scalar_ index
    expect((await explain(pushed, { s: null })).filterPushdown).toBe(false);
    expect((await explain(pushed, { s: { $regex: '^a' } })).filterPushdown).toBe(false);
    expect((await explain(pushed, { $or: [{ s: 'ab' }, { other: 1 }] })).filterPushdown).toBe(false);
    expect((await explain(pushed, {}, { s: 1, other: 1 })).sortPushdown).toBe(false);
  });
});

// Where the server has no TTL indexes, the retention job finds what expired through its scalar_ index.
describe.skipIf(testMongoKind() !== 'ferretdb')('the retention job on the embedded database', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('retpush');
    await db.db.collection('alerts').insertOne({ _id: 'a1' as never, status: 'closed', active: false, updatedAt: new Date(0) });
  });
  afterAll(async () => db?.drop());

  it('creates the scalar_retention_ index and its filter is answered from it', async () => {
    const plan = await ensureRetention(db.db, retentionConfigSchema.parse({}), pino({ level: 'silent' }));
    expect(plan.job).toContain('closedAlerts');
    const names = (await db.db.collection('alerts').listIndexes().toArray()).map((i) => String(i.name));
    expect(names).toContain('scalar_retention_updatedAt');
    const explained = (await db.db.collection('alerts').find({ status: 'closed', active: false, updatedAt: { $lt: new Date() } }).explain()) as Document;
    expect(explained.filterPushdown).toBe(true);
    expect(JSON.stringify(explained.queryPlanner)).toMatch(/USING INDEX \S*_scalar_retention_updatedAt \(<expr>=\? AND <expr>=\? AND <expr><\?\)/);
  });
});
