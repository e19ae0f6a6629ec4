// src/store/embedded/92-sqlite-atomic-index-build.patch: createIndexes on the embedded FerretDB writes every index
// of the command and the metadata listing them in one SQLite transaction. As released, each SQLite index was
// committed on its own and the metadata after them, so a build cut off part-way (the server killed, its context
// canceled) left SQLite indexes the metadata did not list: queries on the collection ignored them and a later
// createIndexes of the same name answered "index already exists". Such a leftover is made here as a cut-off build
// leaves it (an SQLite index named as FerretDB names it, by the sqlite3 command-line tool on the stopped server's
// files), then the index is created through the wire protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Document } from 'mongodb';
import { startEmbeddedDb, type EmbeddedDb } from '../../src/store/embedded-db.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';

const DB = 'indexbuild';

function sqlite(file: string, sql: string): string {
  const r = spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });
  if (r.error) throw new Error(`this test needs the sqlite3 command-line tool (Debian: apt-get install sqlite3): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sqlite3 ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

describe.skipIf(testMongoKind() !== 'ferretdb')('an index build cut off part-way on the embedded database', () => {
  let dir: string;
  let server: EmbeddedDb | undefined;
  let client: MongoClient | undefined;

  const start = async () => {
    server = await startEmbeddedDb(dir);
    client = await MongoClient.connect(server.uri);
    return client.db(DB).collection<{ _id: string; k: string; a: string[] }>('docs');
  };
  const stop = async () => {
    await client?.close();
    await server?.stop();
    client = undefined;
    server = undefined;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'taser-index-build-'));
  });

  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates an index whose SQLite index a cut-off build left behind, lists it and queries through it', async () => {
    let docs = await start();
    await docs.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `d${i}`, k: `k${i % 5}`, a: [`v${i % 7}`, 'all'] })));
    await stop();

    // What a build killed after its first CREATE INDEX left: the SQLite indexes, no metadata.
    const file = join(dir, `${DB}.sqlite`);
    const table = sqlite(file, `SELECT table_name FROM _ferretdb_collections WHERE name = 'docs'`);
    expect(table).toMatch(/^docs_/);
    sqlite(file, `CREATE INDEX "${table}_scalar_k" ON "${table}" (_ferretdb_sjson->>'$.k')`);
    sqlite(file, `CREATE INDEX "${table}_multi_a" ON "${table}" (_ferretdb_sjson->'a')`);

    docs = await start();
    expect((await docs.indexes()).map((i) => i.name)).toEqual(['_id_']);
    await docs.createIndexes([
      { key: { k: 1 }, name: 'scalar_k' },
      { key: { a: 1 }, name: 'multi_a' },
    ]);
    expect((await docs.indexes()).map((i) => i.name).sort()).toEqual(['_id_', 'multi_a', 'scalar_k']);
    expect((await docs.find({ k: 'k3' }).toArray()).map((d) => d._id).sort()).toEqual(['d13', 'd18', 'd23', 'd28', 'd3', 'd33', 'd38', 'd43', 'd48', 'd8']);
    expect(await docs.countDocuments({ a: 'v6' })).toBe(7);
    const plan = (await docs.find({ k: 'k3' }).explain()) as Document;
    expect(plan.filterPushdown).toBe(true);
    expect(JSON.stringify(plan.queryPlanner)).toMatch(/USING INDEX \S*_scalar_k/);
    await stop();

    // Nothing is left over in SQLite beside what the metadata lists.
    expect(sqlite(file, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}' ORDER BY name`).split('\n')).toEqual([
      `${table}__id_`,
      `${table}_scalar_k`, // a multi_ index is its side table only (94-sqlite-multikey-no-json-index.patch)
    ]);
    expect(sqlite(file, `SELECT count(*) FROM "${table}_multi_a_mk"`)).toBe('100');
  });
});

describe('a createIndexes command whose later index fails', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    db = await openTestDatabase('indexbuild');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('creates none of its indexes, and the same names can be created afterwards', async () => {
    const docs = db.db.collection<{ _id: string; k: string; a: string[]; u: number }>('docs');
    await docs.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: `d${i}`, k: `k${i % 3}`, a: [`v${i % 4}`], u: i % 10 })));
    await expect(
      docs.createIndexes([
        { key: { k: 1 }, name: 'scalar_k' },
        { key: { a: 1 }, name: 'multi_a' },
        { key: { u: 1 }, name: 'u_unique', unique: true }, // u repeats: this build fails
      ]),
    ).rejects.toThrow();
    expect((await docs.indexes()).map((i) => i.name)).toEqual(['_id_']);

    await docs.createIndexes([
      { key: { k: 1 }, name: 'scalar_k' },
      { key: { a: 1 }, name: 'multi_a' },
    ]);
    expect((await docs.indexes()).map((i) => i.name).sort()).toEqual(['_id_', 'multi_a', 'scalar_k']);
    expect(await docs.countDocuments({ k: 'k1' })).toBe(10);
    expect(await docs.countDocuments({ a: 'v2' })).toBe(7);
    // the index is kept by later writes (its triggers were created with it)
    await docs.insertOne({ _id: 'late', k: 'k1', a: ['v2'], u: 99 });
    expect(await docs.countDocuments({ a: 'v2' })).toBe(8);
  });
});
