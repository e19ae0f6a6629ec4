// Without MONGODB_URI and without Go, the embedded database cannot be built: the error says what to do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedBinaryPath, goProblem } from '../../src/store/embedded-db.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';

describe('embedded database', () => {
  it('explains what to install when Go is missing and nothing is cached', () => {
    const runner = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
    const script = fileURLToPath(new URL('../../src/store/embedded-db.ts', import.meta.url));
    const probe = join(mkdtempSync(join(tmpdir(), 'taser-nogo-')), 'probe.mts');
    writeFileSync(probe, `import { ensureEmbeddedBinary } from ${JSON.stringify(script)};\ntry { ensureEmbeddedBinary(); console.log('built'); } catch (e) { console.log((e as Error).message); }\n`);
    const res = spawnSync(process.execPath, [runner, probe], {
      env: { PATH: '/nonexistent', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'taser-cache-')), HOME: tmpdir() },
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/No MONGODB_URI is set and Go is not installed/);
    expect(res.stdout).toMatch(/set MONGODB_URI/);
    expect(res.stdout).toMatch(/install Go >= 1\.24/);
  });

  it('names a Go too old to build it (Debian bookworm\'s 1.19) and accepts 1.24 and later', () => {
    expect(goProblem('go version go1.19.8 linux/amd64')).toMatch(/installed Go is go1\.19, too old.*Go >= 1\.24.*golang-go package is 1\.19/);
    expect(goProblem('go version go1.24.0 linux/amd64')).toBeUndefined();
    expect(goProblem('go version go1.26.8 linux/amd64')).toBeUndefined();
    expect(goProblem(null)).toMatch(/Go is not installed/);
  });
});

// The embedded FerretDB is built with src/store/embedded/10-sqlite-id-index.patch: filters on _id use the
// _id index (explain shows SQLite's plan), beside other keys too, and $in over ids is one IN (...) lookup; the
// rest of the filter is still applied, so results are exactly MongoDB's.
describe('embedded database patch (_id filters use the index)', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('idx');
    const docs: { _id: string | number; n: number }[] = Array.from({ length: 300 }, (_, i) => ({ _id: `k${i}`, n: i }));
    docs.push({ _id: 'a<b&c"d\\e', n: -1 }, { _id: 'ünï\u2028', n: -2 }, { _id: 7, n: -3 });
    await db.db.collection<{ _id: string | number; n: number }>('docs').insertMany(docs);
  });
  afterAll(async () => db?.drop());

  const coll = () => db.db.collection<{ _id: string | number; n: number; u?: number }>('docs');
  const plan = async (filter: Record<string, unknown>) => JSON.stringify((await coll().find(filter).explain()).queryPlanner ?? {});

  it('names the cached binary after the patch too', () => {
    expect(embeddedBinaryPath()).not.toBe(embeddedBinaryPath({ patched: false }));
  });

  it.skipIf(testMongoKind() !== 'ferretdb')('answers _id equality, _id with other keys, and _id $in from the index', async () => {
    expect(await plan({ _id: 'k5' })).toMatch(/USING INDEX \S+__id_/);
    expect(await plan({ _id: 'k5', n: { $gt: 1 } })).toMatch(/USING INDEX \S+__id_/);
    expect(await plan({ _id: { $in: ['k1', 'k2', 'k3'] }, n: 2 })).toMatch(/USING INDEX \S+__id_/);
    expect(await plan({ n: 5 })).toMatch(/SCAN/); // only _id is pushed down
    expect(await plan({ _id: { $in: ['k1', 7] } })).toMatch(/SCAN/); // a number among the ids: not pushed down
  });

  it('returns exactly what the whole filter matches', async () => {
    expect((await coll().findOne({ _id: 'a<b&c"d\\e' }))?.n).toBe(-1);
    expect((await coll().findOne({ _id: 'ünï\u2028', n: -2 }))?.n).toBe(-2);
    expect(await coll().findOne({ _id: 'k5', n: 6 })).toBeNull();
    expect((await coll().find({ _id: { $in: ['k1', 'k2', 'k3', 'nope', 'a<b&c"d\\e'] }, n: { $gte: 0 } }).toArray()).map((d) => d._id).sort()).toEqual(['k1', 'k2', 'k3']);
    expect((await coll().find({ _id: { $in: ['k1', 7] } }).toArray()).map((d) => d._id).sort()).toEqual([7, 'k1']);
    expect((await coll().updateMany({ _id: { $in: ['k10', 'k11', 'k12'] }, n: { $ne: 11 } }, { $set: { u: 1 } })).modifiedCount).toBe(2);
    expect((await coll().deleteMany({ _id: { $in: ['k20', 'k21'] }, n: 21 })).deletedCount).toBe(1);
    expect(await coll().countDocuments({ _id: { $in: ['k20', 'k21'] } })).toBe(1);
  });
});
