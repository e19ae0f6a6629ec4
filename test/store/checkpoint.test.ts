// The embedded database checkpoints its WAL in the background (src/store/embedded/98-sqlite-background-checkpoint.patch).
// As released, the commit that took the WAL past 1,000 pages copied the WAL into the database file and synced
// both, inside the client's insert; once a collection's random-key indexes (a multi_ side table) outgrew a commit,
// nearly every page of an insert was a page of its own, and every commit or two paid a checkpoint. Now a
// checkpointer copies the frames beside the writers: a few writes well under 1,000 pages reach the database
// file without any further commit (as released they stayed in the WAL until the 1,000th page or the close).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedDb, type EmbeddedDb } from '../../src/store/embedded-db.js';
import { testMongoKind } from '../support/db.js';
import { waitUntil } from '../support/wait.js';

const embedded = testMongoKind() === 'ferretdb';

describe.skipIf(!embedded)('the embedded database checkpoints its WAL in the background', () => {
  let dir: string;
  let server: EmbeddedDb;
  let client: MongoClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taser-checkpoint-'));
    server = await startEmbeddedDb(dir);
    client = await MongoClient.connect(server.uri);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies committed pages into the database file with no further commit', async () => {
    const coll = client.db('ckpt').collection<{ _id: string; body: string }>('docs');
    // About 600 KiB of documents in 4 commits: some 150 WAL pages, far under the 1,000 that made a commit checkpoint.
    for (let b = 0; b < 4; b++) {
      await coll.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `d${b}-${i}`, body: 'x'.repeat(3000) })));
    }
    const file = join(dir, 'ckpt.sqlite');
    expect(existsSync(`${file}-wal`)).toBe(true);
    // No client writes from here on: only a checkpoint can grow the database file to hold the 600 KiB.
    await waitUntil(() => statSync(file).size >= 500 * 1024, 'the database file to receive the WAL frames', 15_000);
    expect(await coll.countDocuments({})).toBe(200);
  });
});
