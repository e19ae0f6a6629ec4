// src/store/embedded/9D-sqlite-multikey-buckets.patch: a multi_ index's side table is keyed (bucket, value, _id),
// the bucket being the document's rowid >> 13, so that new documents' rows go into the newest bucket instead of
// random places in the whole table; a lookup seeks the value in each bucket. Across several buckets (20,000
// documents), through inserts, updates and deletes in old and new buckets, on a side table of the form before the
// patch (read as it is) and after a VACUUM (compact with force, which may renumber rowids, rebuilds the side
// tables in buckets), every query and count must answer what the same documents answer without the index.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection, type Db, type Document, type Filter } from 'mongodb';
import { startEmbeddedDb, type EmbeddedDb } from '../../src/store/embedded-db.js';
import { testMongoKind } from '../support/db.js';

interface Doc {
  _id: string;
  a?: unknown;
  n: number;
}

const embedded = testMongoKind() === 'ferretdb';
const COUNT = 20_000; // rowids 1..20,000: buckets 0, 1 and 2
const hasSqlite3 = spawnSync('sqlite3', ['-version'], { stdio: 'ignore' }).status === 0;

// Each value recurs across the whole range of rowids, so each lookup has matches in every bucket.
const doc = (i: number): Doc => ({
  _id: `d${String(i).padStart(5, '0')}`,
  n: i,
  ...(i % 97 === 0 ? {} : { a: i % 89 === 0 ? `v${i % 50}` : [`v${i % 50}`, `k=${i % 7}`, i % 3, ...(i % 5 ? [] : [`v${i % 50}`])] }),
});

const FILTERS: Filter<Doc>[] = [
  { a: 'v7' },
  { a: 'k=3' },
  { a: 2 },
  { a: { $in: ['v1', 'v49', 'k=6'] } },
  { a: 'nothing' },
  { a: 'v7', n: { $gte: 9_000 } },
  { $or: [{ a: 'v3' }, { a: 'k=0' }] },
];

// 20,000 documents each way and a restart: seconds alone, far more on a loaded machine.
describe.skipIf(!embedded)('multikey side tables in buckets (9D)', { timeout: 90_000 }, () => {
  let dir: string;
  let server: EmbeddedDb;
  let client: MongoClient;
  let db: Db;
  let multi: Collection<Doc>;
  let plain: Collection<Doc>;

  const ids = async (c: Collection<Doc>, filter: Filter<Doc>) => (await c.find(filter, { projection: { _id: 1 } }).sort({ _id: 1 }).toArray()).map((d) => d._id);
  const sameAnswers = async () => {
    for (const filter of FILTERS) {
      const expected = await ids(plain, filter);
      expect(await ids(multi, filter), JSON.stringify(filter)).toEqual(expected);
      expect(await multi.countDocuments(filter), JSON.stringify(filter)).toBe(expected.length);
    }
  };
  const plan = async (filter: Filter<Doc>) => JSON.stringify(((await multi.find(filter).explain()) as Document).queryPlanner);
  const start = async () => {
    server = await startEmbeddedDb(dir);
    client = await MongoClient.connect(server.uri);
    db = client.db('buckets');
    multi = db.collection<Doc>('multi');
    plain = db.collection<Doc>('plain');
  };
  const stop = async () => {
    await client.close();
    await server.stop();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taser-multikey-buckets-'));
    await start();
    await multi.createIndex({ a: 1 }, { name: 'multi_a' });
    for (let i = 0; i < COUNT; i += 1_000) {
      const docs = Array.from({ length: 1_000 }, (_, k) => doc(i + k));
      await multi.insertMany(docs);
      await plain.insertMany(docs);
    }
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeks the value in each bucket, and answers across buckets as without the index', async () => {
    expect(await plan({ a: 'v7' })).toMatch(/SEARCH s USING PRIMARY KEY \(b=\? AND v=\?\)/);
    expect(await ids(multi, { a: 'v7' })).toHaveLength((await ids(plain, { a: 'v7' })).length);
    expect((await ids(multi, { a: 'v7' })).length).toBeGreaterThan(300);
    await sameAnswers();
  });

  it('follows updates and deletes of documents in old and new buckets', async () => {
    for (const c of [multi, plain]) {
      await c.updateMany({ n: { $in: [5, 9_000, 19_990] } }, { $set: { a: ['moved', 'v7'] } });
      await c.updateOne({ n: 12_345 }, { $unset: { a: '' } });
      await c.deleteMany({ n: { $lt: 100 } });
      await c.deleteMany({ a: 'k=3', n: { $gte: 16_000 } });
      await c.insertMany(Array.from({ length: 50 }, (_, k) => doc(COUNT + k)));
    }
    FILTERS.push({ a: 'moved' });
    await sameAnswers();
    expect(await ids(multi, { a: 'moved' })).toEqual(['d09000', 'd19990']);
  });

  it.skipIf(!hasSqlite3)('reads and writes a side table of the form before the patch as it is', async () => {
    await stop();
    // The form and triggers patches 93-94 created: (v, r) alone, rows deleted by _id and old elements.
    const file = join(dir, 'buckets.sqlite');
    const sql = (q: string) => spawnSync('sqlite3', [file, q], { encoding: 'utf8' });
    const table = sql(`SELECT table_name FROM _ferretdb_collections WHERE name = 'multi'`).stdout.trim();
    expect(table).not.toBe('');
    const t = `${table}_multi_a_mk`;
    const col = (row: string) => `${row}._ferretdb_sjson`;
    const elements = (row: string) => `SELECT j.value, ${col(row)}->'_id' FROM json_each(${col(row)} -> '$."a"') AS j WHERE j.type NOT IN ('object', 'array', 'null')`;
    const deleteOld = `DELETE FROM "${t}" WHERE r = ${col('OLD')}->'_id' AND v IN (SELECT j.value FROM json_each(${col('OLD')} -> '$."a"') AS j)`;
    const converted = sql(
      [
        `DROP TRIGGER "${t}_ai"`, `DROP TRIGGER "${t}_ad"`, `DROP TRIGGER "${t}_au"`, `DROP TABLE "${t}"`,
        `CREATE TABLE "${t}" (v, r, PRIMARY KEY (v, r)) WITHOUT ROWID`,
        `INSERT OR IGNORE INTO "${t}" (v, r) ${elements('t').replace(' FROM json_each', ` FROM "${table}" AS t, json_each`)}`,
        `CREATE TRIGGER "${t}_ai" AFTER INSERT ON "${table}" BEGIN INSERT OR IGNORE INTO "${t}" (v, r) ${elements('NEW')}; END`,
        `CREATE TRIGGER "${t}_ad" AFTER DELETE ON "${table}" BEGIN ${deleteOld}; END`,
        `CREATE TRIGGER "${t}_au" AFTER UPDATE ON "${table}" WHEN ${col('OLD')} -> '$."a"' IS NOT ${col('NEW')} -> '$."a"' BEGIN ${deleteOld}; INSERT OR IGNORE INTO "${t}" (v, r) ${elements('NEW')}; END`,
      ].join(';\n') + ';',
    );
    expect(converted.stderr).toBe('');
    expect(sql(`SELECT sql FROM sqlite_schema WHERE name = '${t}'`).stdout).toContain('(v, r, PRIMARY KEY (v, r))');
    await start();
    // sought by value alone, as before the patch
    expect(await plan({ a: 'v7' })).toMatch(/SEARCH \S*multi_a_mk USING PRIMARY KEY \(v=\?\)/);
    await sameAnswers();
    for (const c of [multi, plain]) {
      await c.insertOne({ _id: 'late', n: -1, a: ['fresh', 'v7'] });
      await c.deleteMany({ n: { $gte: 20_000 } });
      await c.updateOne({ n: 15_000 }, { $set: { a: ['fresh'] } });
    }
    FILTERS.push({ a: 'fresh' });
    await sameAnswers();
  });

  it('rebuilds the side tables in buckets after VACUUM (compact with force), which may renumber rowids', async () => {
    await db.command({ compact: 'multi', force: true });
    expect(await plan({ a: 'v7' })).toMatch(/SEARCH s USING PRIMARY KEY \(b=\? AND v=\?\)/);
    for (const c of [multi, plain]) {
      await c.deleteMany({ n: { $gte: 10_000, $lt: 10_500 } });
      await c.insertMany(Array.from({ length: 50 }, (_, k) => doc(COUNT + 100 + k)));
      await c.updateOne({ n: 3 }, { $set: { a: ['fresh'] } });
    }
    await sameAnswers();
  });
});
