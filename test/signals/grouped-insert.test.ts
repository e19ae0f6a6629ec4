// Ingestions that arrive while a signals insert is running are stored together by the next one (group commit):
// many concurrent requests cost a few insert commands, and each request still learns exactly which of its
// signals it stored and which were duplicates, the first of two equal signals winning across requests too. While
// too many signals wait for their insert, a new request is refused at once (503 at the webhook), not queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Ingestor, StoreBusyError } from '../../src/signals/ingest.js';
import { SignalStore } from '../../src/signals/store.js';
import type { Signal } from '../../src/signals/signal.js';
import { connectDatabase, type Database } from '../../src/store/mongo.js';
import { freshDbUri } from '../support/db.js';

describe('grouped signal inserts', () => {
  let database: Database;
  const inserts: number[] = [];

  beforeAll(async () => {
    const uri = freshDbUri('grouped');
    database = await connectDatabase(`${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`);
    database.client.on('commandStarted', (e) => {
      if (e.commandName === 'insert' && e.command.insert === 'signals') inserts.push((e.command.documents as unknown[]).length);
    });
  });
  afterAll(async () => {
    await database?.db.dropDatabase().catch(() => {});
    await database?.close();
  });

  const sig = (id: string): Signal => ({ id, source: 'test', type: 'probe', occurredAt: '2026-11-30T12:00:00Z', artifacts: { host: id } });

  it('stores concurrent ingestions in a few commands, each told its own new and duplicate signals', async () => {
    const store = new SignalStore(database.db);
    await store.ensureIndexes();
    const ingestor = new Ingestor(store, pino({ level: 'silent' }), async () => undefined);
    await ingestor.ingest('test', [sig('before')]);
    inserts.length = 0;
    // 20 requests at once; request i also carries request i-1's first signal, and one already stored.
    const requests = Array.from({ length: 20 }, (_, i) => [sig(`r${i}-a`), sig(`r${i}-b`), ...(i > 0 ? [sig(`r${i - 1}-a`)] : [sig('before')])]);
    const results = await Promise.all(requests.map((signals) => ingestor.ingest('test', signals)));
    expect(inserts.length).toBeLessThan(10);
    for (const r of results) {
      expect(r.accepted).toBe(2);
      expect(r.duplicates).toBe(1);
    }
    // Each request's stored signals are its own two, whichever request's insert carried them.
    results.forEach((r, i) => expect(r.stored.map((s) => s.id).sort()).toEqual([`r${i}-a`, `r${i}-b`]));
    expect(await store.collection.countDocuments({})).toBe(41);
  });

  it('refuses a request at once, writing nothing, while too many signals wait for their insert', async () => {
    const store = new SignalStore(database.db);
    const ingestor = new Ingestor(store, pino({ level: 'silent' }), async () => undefined, { maxQueuedSignals: 250 });
    const batch = (prefix: string) => Array.from({ length: 100 }, (_, i) => sig(`${prefix}-${i}`));
    // Five requests: the first is inserted at once, the other four (400 signals) wait behind it.
    const queued = ['q0', 'q1', 'q2', 'q3', 'q4'].map((p) => ingestor.ingest('test', batch(p)));
    await new Promise((r) => setImmediate(r));
    await expect(ingestor.ingest('test', batch('refused'))).rejects.toBeInstanceOf(StoreBusyError);
    for (const r of await Promise.all(queued)) expect(r.accepted).toBe(100);
    expect(await store.collection.find({ _id: { $in: batch('refused').map((s) => `test/${s.id}`) } }).toArray()).toHaveLength(0);
    // Caught up: accepted again.
    expect((await ingestor.ingest('test', batch('later'))).accepted).toBe(100);
  });
});
