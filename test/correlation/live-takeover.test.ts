// Replicas sharing the partitions of the group space through leases, in one process on the real database:
// a replica that dies (stops without writing anything or giving up its leases) hands its partitions over, and
// the one that takes them rebuilds what the dead one had not written from the stored signals (its logs), with no
// signal lost and no episode alerting twice.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDatabase } from '../support/db.js';
import { waitUntil } from '../support/wait.js';
import { buildCorrelation, type Correlation } from '../../src/correlation/service.js';
import type { LiveOptions } from '../../src/correlation/live.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { Signal } from '../../src/signals/signal.js';

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const rules = [{ id: 'burst', parts: [{ match: { type: 'login_failed' }, count: 3 }], window: '1h', groupBy: ['username'] }];
/** Short terms so a takeover happens within seconds. */
const fast: Partial<LiveOptions> = { termMs: 2_000, pollMs: 50, settleMs: 2_000 };

const failed = (id: string, user: string, minute: number): Signal => ({
  id,
  source: 'test',
  type: 'login_failed',
  occurredAt: new Date(Date.parse('2026-11-25T08:00:00Z') + minute * 60_000).toISOString(),
  artifacts: { username: user },
});
const users = Array.from({ length: 12 }, (_, i) => `user${i}`);

describe('live correlation across replicas', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  const replicas: Correlation[] = [];

  async function replica(options: Partial<LiveOptions>): Promise<Correlation> {
    const c = buildCorrelation({ db: database.db, logger: silent, positron: { run: async () => ({ results: [] }) as never, allowedQueries: async () => [], describeQueries: async () => [] }, enrichment: [], live: options });
    await c.ensureIndexes();
    await c.rules.syncFromConfig(rules);
    replicas.push(c);
    c.live.start();
    return c;
  }
  const owning = (c: Correlation, n: number) => waitUntil(() => c.live.ownedPartitions().length === n, `a replica owning ${n} partitions`, 30_000);
  const alerts = () => database.db.collection<StoredAlert>('alerts').find({}).toArray();

  afterEach(async () => {
    for (const c of replicas.splice(0)) await c.live.stop();
    await database?.drop();
  });

  it("takes over a dead replica's partitions and finishes its groups' episodes", async () => {
    database = await openTestDatabase('takeover');
    const a = await replica({ ...fast, snapshotMs: 100 });
    await owning(a, a.live.options.partitions);
    // Two signals per group through the first replica: no alert yet, state held in its memory (and snapshots).
    await a.ingestor.ingest('test', users.flatMap((u, i) => [failed(`a${i}`, u, 0), failed(`b${i}`, u, 1)]));
    await waitUntil(() => a.live.idle(), 'the first replica caught up');
    a.live.halt();

    // The second replica receives the third signal of every group while it owns nothing yet: the signals wait in
    // the partitions' logs until their leases expire and it takes them over.
    const b = await replica(fast);
    const created: string[] = [];
    b.events.on('created', (alert) => created.push(alert.group.username!));
    await b.ingestor.ingest('test', users.map((u, i) => failed(`c${i}`, u, 2)));
    await owning(b, b.live.options.partitions);
    await waitUntil(() => b.live.idle(), 'the second replica caught up', 30_000);

    const stored = await alerts();
    expect(stored).toHaveLength(users.length);
    expect(created.sort()).toEqual([...users].sort());
    for (const alert of stored) {
      const i = users.indexOf(alert.group.username!);
      expect(alert.signals).toEqual([`test/a${i}`, `test/b${i}`, `test/c${i}`]);
      expect(alert.episode).toBe(1);
    }
  }, 90_000);

  it('rebuilds from the stored signals what a crash left unwritten, and never alerts an episode twice', async () => {
    database = await openTestDatabase('rebuild');
    // Snapshots far apart: the crash loses the whole in-memory state.
    const a = await replica({ ...fast, snapshotMs: 600_000 });
    await owning(a, a.live.options.partitions);
    // user0 alerts before the crash; user1 has two of its three signals.
    await a.ingestor.ingest('test', [failed('x1', 'user0', 0), failed('x2', 'user0', 1), failed('x3', 'user0', 2), failed('y1', 'user1', 0), failed('y2', 'user1', 1)]);
    await waitUntil(() => a.live.idle(), 'the first replica caught up');
    expect((await alerts()).map((a) => a.group.username)).toEqual(['user0']);
    a.live.halt();
    // Stored (and answered, for a webhook) after the crash of the correlator, never stepped there: the window
    // between a signal stored and its state written.
    const late = await a.ingestor.ingest('test', [failed('y3', 'user1', 2), failed('x4', 'user0', 3)]);
    expect(late.accepted).toBe(2);

    const b = await replica(fast);
    const created: string[] = [];
    b.events.on('created', (alert) => created.push(alert.group.username!));
    await owning(b, b.live.options.partitions);
    // idle() only speaks of what b ingested itself: wait for the replay of a's log to reach the late signals.
    await waitUntil(async () => {
      const now = await alerts();
      return now.length === 2 && now.every((x) => x.signals.length >= 3) && now.some((x) => x.signals.includes('test/x4')) && b.live.idle();
    }, 'the second replica replayed the log', 30_000);

    const stored = (await alerts()).sort((x, y) => x.group.username!.localeCompare(y.group.username!));
    expect(stored.map((s) => [s.group.username, s.episode, s.signals])).toEqual([
      ['user0', 1, ['test/x1', 'test/x2', 'test/x3', 'test/x4']],
      ['user1', 1, ['test/y1', 'test/y2', 'test/y3']],
    ]);
    // The replay re-made user0's episode: the same alert _id, refused as a duplicate, so no second card.
    expect(created).toEqual(['user1']);
  }, 90_000);
});
