// The database stalls and dies under a stream of webhook POSTs: a 202 is answered only for signals that are
// stored (issue 10, item 1); /healthz, /readyz and /metrics answer without waiting on the stalled database, and
// the driver's pool finds the restarted server without a restart of taser (item 6). Its own embedded database
// process, so the test can SIGSTOP and SIGKILL it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { startTestApp, type TestApp } from '../support/app.js';
import { testMongoKind } from '../support/db.js';
import { waitUntil } from '../support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { startEmbeddedDb, type EmbeddedDb } from '../../src/store/embedded-db.js';

const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const SECRET = 'hmac-secret-for-fault-tests-0123456789';
const SOCKET_TIMEOUT_MS = 3000;

function signed(body: string) {
  const at = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', SECRET).update(`${at}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) };
}

interface Answer {
  ids: string[];
  status: number;
  retryAfter: string | null;
  at: number;
}

// The embedded database is the one a test can stop; with MONGODB_URI the server is not ours to kill.
describe.skipIf(testMongoKind() !== 'ferretdb')('store faults (embedded database stopped and killed mid-stream)', () => {
  let dir: string;
  let db: EmbeddedDb;
  let port: number;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taser-faults-db-'));
    db = await startEmbeddedDb(dir);
    port = Number(new URL(db.uri).port);
    t = await startTestApp({
      mongodbUri: `${db.uri}faults?socketTimeoutMS=${SOCKET_TIMEOUT_MS}&serverSelectionTimeoutMS=3000&waitQueueTimeoutMS=3000`,
      pluginDirs: [BUILTIN_PLUGINS_DIR, sources],
      file: {
        plugins: { passthrough: { enabled: true } },
        sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
      },
      env: { TEST_SOURCE_SECRET: SECRET },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('never answers 202 for a signal it did not store, through a stall and a kill, and recovers by itself', async () => {
    const answers: Answer[] = [];
    let next = 0;
    let sending = true;
    const sender = async () => {
      while (sending) {
        const ids = Array.from({ length: 5 }, () => `f${next++}`);
        const body = JSON.stringify(ids.map((id) => ({ id, type: 'fault_probe', occurredAt: new Date().toISOString(), artifacts: { username: `u${id}` } })));
        try {
          const res = await fetch(`${t.taser.url}/signals/test`, { method: 'POST', headers: signed(body), body, signal: AbortSignal.timeout(30_000) });
          answers.push({ ids, status: res.status, retryAfter: res.headers.get('retry-after'), at: Date.now() });
          await res.body?.cancel();
        } catch {
          answers.push({ ids, status: 0, retryAfter: null, at: Date.now() });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const senders = Array.from({ length: 4 }, sender);
    const quick = async (path: string) => {
      const started = Date.now();
      const res = await fetch(`${t.taser.url}${path}`, { signal: AbortSignal.timeout(5000) });
      await res.text();
      return { status: res.status, ms: Date.now() - started };
    };

    await waitUntil(() => answers.filter((a) => a.status === 202).length >= 5, 'a few stored batches before the stall', 15_000);

    // 1. A stall longer than the socket timeout: requests in flight fail, readiness turns, health does not wait.
    db.process.kill('SIGSTOP');
    const stalledAt = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect((await quick('/healthz')).ms).toBeLessThan(1000);
      expect((await quick('/metrics')).ms).toBeLessThan(1000);
      const readyz = await waitUntil(async () => {
        const r = await quick('/readyz');
        expect(r.ms).toBeLessThan(1000);
        return r.status === 503 && r;
      }, '/readyz to report the stalled database', 9000);
      expect(readyz.status).toBe(503);
      await new Promise((r) => setTimeout(r, Math.max(0, stalledAt + 10_000 - Date.now())));
    } finally {
      db.process.kill('SIGCONT');
    }
    const resumedAt = Date.now();
    await waitUntil(() => answers.some((a) => a.status === 202 && a.at > resumedAt + 500), 'a stored batch after the stall', 20_000);

    // 2. A kill, and a new server on the same port and files: the pool finds it without a restart of taser.
    db.process.kill('SIGKILL');
    await new Promise((r) => db.process.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000));
    db = await startEmbeddedDb(dir, { port });
    const restartedAt = Date.now();
    // 12 s alone; once past 30 s in a whole-suite run on 2 cores (the new server opening the killed one's files,
    // the pool finding it, the senders' requests timing out first), so the wait is generous.
    try {
      await waitUntil(() => answers.some((a) => a.status === 202 && a.at > restartedAt), 'a stored batch after the restart', 60_000);
    } catch (err) {
      // Seen once in about 20 whole-suite runs: what taser answered and logged since the restart, to tell why.
      const since = answers.filter((a) => a.at > restartedAt);
      const statuses = since.reduce<Record<number, number>>((n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }), {});
      const logged = t.logs.filter((l) => Number(l.level) >= 40 && Number(l.time) > restartedAt).slice(-30);
      console.error('answers since the restart:', statuses, '\nwarnings and errors logged since:', JSON.stringify(logged, null, 1).slice(0, 20_000));
      throw err;
    }
    await waitUntil(async () => (await quick('/readyz')).status === 200, '/readyz ready again', 15_000);

    sending = false;
    await Promise.all(senders);

    // Every signal answered 202 is stored; the faults were real (some POSTs were refused with Retry-After).
    const client = await MongoClient.connect(`${db.uri}faults`);
    try {
      const claimed = answers.filter((a) => a.status === 202).flatMap((a) => a.ids.map((id) => `test/${id}`));
      const stored = new Set<string>();
      for (let i = 0; i < claimed.length; i += 500) {
        const docs = await client.db().collection<{ _id: string }>('signals').find({ _id: { $in: claimed.slice(i, i + 500) } }, { projection: { _id: 1 } }).toArray();
        for (const d of docs) stored.add(d._id);
      }
      const missing = claimed.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      const refused = answers.filter((a) => a.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((a) => a.retryAfter !== null)).toBe(true);
      expect(answers.every((a) => a.status === 202 || a.status === 503)).toBe(true);
    } finally {
      await client.close();
    }
  }, 120_000);
});
