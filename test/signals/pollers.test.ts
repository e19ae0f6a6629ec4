// Polled sources against a local paged feed and the real database: cursor persistence, restart safety,
// backoff on failure.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { openTestDatabase } from '../support/db.js';
import { loadPluginForTest } from '../support/plugin-harness.js';
import { Metrics } from '../../src/app/metrics.js';
import { SignalStore } from '../../src/signals/store.js';
import { Ingestor } from '../../src/signals/ingest.js';
import { CURSORS_COLLECTION, Pollers, type PollerState } from '../../src/signals/pollers.js';

const folder = fileURLToPath(new URL('../fixtures/plugins/sources/paged-source', import.meta.url));
const silent = pino({ level: 'silent' });

// The vendor: 5 events, pages of 2, cursor = index of the next event.
const feed = [1, 2, 3, 4, 5].map((n) => ({ id: `e${n}`, at: `2026-11-0${n}T10:00:00Z`, user: 'alice' }));
let failNext = 0;
let served: string[] = [];

describe('polled sources', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let server: Server;
  let pollers: Pollers;
  let metrics: Metrics;
  let clock = new Date('2026-11-24T12:00:00Z');

  beforeAll(async () => {
    database = await openTestDatabase('pollers');
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      served.push(url.search);
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
        return;
      }
      const after = Number(url.searchParams.get('after') ?? 0);
      const events = feed.slice(after, after + 2);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ events, next: String(after + events.length) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const plugin = await loadPluginForTest(folder, { url: `http://127.0.0.1:${port}/feed` }, { db: database.db });
    const store = new SignalStore(database.db);
    metrics = new Metrics({ defaultMetrics: false });
    const ingestor = new Ingestor(store, silent, async () => {});
    pollers = new Pollers(database.db, {
      routes: plugin.routes,
      contexts: new Map([[plugin.namespace, plugin.ctx]]),
      ingestor,
      logger: silent,
      metrics,
      now: () => clock,
    });
  });
  afterAll(async () => {
    server.close();
    await database.drop();
  });
  beforeEach(() => {
    served = [];
  });

  const storedIds = async () => (await database.db.collection('signals').find({}).sort({ _id: 1 }).toArray()).map((d) => d.signal.id as string);
  const cursorDoc = () => database.db.collection<PollerState>(CURSORS_COLLECTION).findOne({ _id: 'paged' });

  it('persists the cursor after storing each page', async () => {
    expect(await pollers.pollOnce('paged')).toBe('ok');
    expect(await storedIds()).toEqual(['e1', 'e2']);
    expect((await cursorDoc())?.cursor).toBe('2');
    expect(await pollers.pollOnce('paged')).toBe('ok');
    expect(served).toEqual(['', '?after=2']);
    expect(await storedIds()).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('after a restart between storing and saving the cursor, re-fetches but ingests nothing twice', async () => {
    // The crash window: page 3 stored, cursor not yet saved. Rewind the cursor as the crash would leave it.
    expect(await pollers.pollOnce('paged')).toBe('ok');
    await database.db.collection<PollerState>(CURSORS_COLLECTION).updateOne({ _id: 'paged' }, { $set: { cursor: '2' } });
    expect(await pollers.pollOnce('paged')).toBe('ok');
    expect(served).toEqual(['?after=4', '?after=2']);
    expect(await storedIds()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    const events = await metrics.registry.getSingleMetricAsString('taser_source_events_total');
    expect(events).toMatch(/outcome="duplicate"} 2/);
  });

  it('backs off after a failure, records it, and resumes from the same cursor', async () => {
    const before = (await cursorDoc())?.cursor;
    failNext = 1;
    expect(await pollers.pollOnce('paged')).toBe('failed');
    expect(await cursorDoc()).toMatchObject({ failures: 1, lastError: 'feed answered 503', cursor: before });
    expect(await pollers.pollOnce('paged')).toBe('skipped'); // still backing off
    expect(await metrics.registry.getSingleMetricAsString('taser_source_poll_consecutive_failures')).toMatch(/source="paged"} 1/);
    clock = new Date(clock.getTime() + 61_000);
    expect(await pollers.pollOnce('paged')).toBe('ok');
    expect(await cursorDoc()).toMatchObject({ failures: 0 });
  });
});
