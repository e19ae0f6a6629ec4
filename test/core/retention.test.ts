// Retention against the real database: TTL indexes where the server has them, and where it has not (the
// embedded FerretDB answers code 238) the retention job deletes expired documents in batches by _id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { fileConfigSchema } from '../../src/app/config.js';
import { SIGNALS_COLLECTION } from '../../src/signals/store.js';
import { CORE_COLLECTIONS } from '../../src/store/collections.js';
import { ALERTS_COLLECTION } from '../../src/correlation/alert-store.js';
import { AUDIT_COLLECTION, CACHE_COLLECTION } from '../../src/positron/service.js';
import { SIMULATION_CANCELS_COLLECTION, SIMULATIONS_COLLECTION } from '../../src/rules-console/simulations.js';
import { deleteExpired, ensureRetention, RETENTION_DEFAULTS, RETENTION_JOB, RETENTION_TARGETS, retentionConfigSchema } from '../../src/store/retention.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-29T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const silent = pino({ level: 'silent' });

describe('retention config', () => {
  it('defaults to the documented periods and accepts durations or false', () => {
    expect(fileConfigSchema.parse({}).retention).toEqual(RETENTION_DEFAULTS);
    expect(retentionConfigSchema.parse({ signals: '10d', positronAudit: false, every: '15m' })).toMatchObject({ signals: 10 * DAY, positronAudit: false, every: 900_000, slackEvents: 7 * DAY });
  });

  it('names the field of a bad period', () => {
    const result = fileConfigSchema.safeParse({ retention: { signals: 'ten days', unknown: '1d' } });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('retention.signals');
    expect(result.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('targets the collections their stores own', () => {
    expect(RETENTION_TARGETS.map((t) => `${t.kind}:${t.collection}`)).toEqual([
      `signals:${SIGNALS_COLLECTION}`,
      `slackEvents:${CORE_COLLECTIONS.slackEvents}`,
      `slackInteractions:${CORE_COLLECTIONS.slackInteractions}`,
      `positronCache:${CACHE_COLLECTION}`,
      `positronAudit:${AUDIT_COLLECTION}`,
      `closedAlerts:${ALERTS_COLLECTION}`,
      `simulations:${SIMULATIONS_COLLECTION}`,
      `simulations:${SIMULATION_CANCELS_COLLECTION}`,
    ]);
  });
});

describe('retention in the database', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('retention');
  });
  afterAll(async () => db?.drop());

  it('uses TTL indexes where the server has them, and the job where it answers 238', async () => {
    const config = retentionConfigSchema.parse({ positronAudit: false });
    const plan = await ensureRetention(db.db, config, silent);
    expect(plan.kept).toEqual(['positronAudit']);
    if (testMongoKind() === 'ferretdb') {
      expect(plan).toEqual({ ttl: [], job: ['signals', 'slackEvents', 'slackInteractions', 'positronCache', 'closedAlerts', 'simulations'], kept: ['positronAudit'] });
    } else {
      expect(plan.job).toEqual([]);
      const signalIndexes = await db.db.collection(SIGNALS_COLLECTION).listIndexes().toArray();
      expect(signalIndexes.find((i) => i.name === 'retention_receivedAt')?.expireAfterSeconds).toBe(30 * 86_400);
    }
  });

  it('deletes only what has expired, in batches, and keeps alerts that are open or still active', async () => {
    const config = retentionConfigSchema.parse({});
    const signals = db.db.collection<{ _id: string; receivedAt: Date }>(SIGNALS_COLLECTION);
    await signals.insertMany([
      ...Array.from({ length: 23 }, (_, i) => ({ _id: `old/${i}`, receivedAt: ago(31 + i) })),
      ...Array.from({ length: 5 }, (_, i) => ({ _id: `new/${i}`, receivedAt: ago(29 - i) })),
    ]);
    await db.db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackEvents).insertMany([
      { _id: 'Ev-old', receivedAt: ago(8) },
      { _id: 'Ev-new', receivedAt: ago(1) },
    ]);
    await db.db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackInteractions).insertMany([
      { _id: 'action:old', receivedAt: ago(2) },
      { _id: 'action:new', receivedAt: ago(0.5) },
    ]);
    await db.db.collection<{ _id: string; expiresAt: Date }>(CACHE_COLLECTION).insertMany([
      { _id: 'expired-long-ago', expiresAt: ago(2) },
      { _id: 'expired-just-now', expiresAt: ago(0.5) },
    ]);
    await db.db.collection<{ _id: string; at: Date }>(AUDIT_COLLECTION).insertMany([
      { _id: 'a-old', at: ago(400) },
      { _id: 'a-new', at: ago(300) },
    ]);
    await db.db.collection<{ _id: string; status: string; active: boolean; updatedAt: Date }>(ALERTS_COLLECTION).insertMany([
      { _id: 'closed-old', status: 'closed', active: false, updatedAt: ago(200) },
      { _id: 'closed-recent', status: 'closed', active: false, updatedAt: ago(100) },
      { _id: 'open-old', status: 'open', active: false, updatedAt: ago(200) },
      { _id: 'closed-active-old', status: 'closed', active: true, updatedAt: ago(200) },
    ]);

    const touches: number[] = [];
    const deleted = await deleteExpired(db.db, config, ['signals', 'slackEvents', 'slackInteractions', 'positronCache', 'positronAudit', 'closedAlerts'], {
      now: NOW,
      batch: 7,
      touch: async () => void touches.push(1),
    });
    expect(deleted).toEqual({ signals: 23, slackEvents: 1, slackInteractions: 1, positronCache: 1, positronAudit: 1, closedAlerts: 1 });
    expect(touches.length).toBe(4 + 5); // 23 signals in batches of 7, one batch for each other kind
    expect((await signals.find({}).toArray()).map((d) => d._id).sort()).toEqual(['new/0', 'new/1', 'new/2', 'new/3', 'new/4']);
    expect((await db.db.collection(ALERTS_COLLECTION).find({}).toArray()).map((d) => d._id).sort()).toEqual(['closed-active-old', 'closed-recent', 'open-old']);
    expect((await db.db.collection(CACHE_COLLECTION).find({}).toArray()).map((d) => d._id)).toEqual(['expired-just-now']);
    expect((await db.db.collection(CORE_COLLECTIONS.slackInteractions).find({}).toArray()).map((d) => d._id)).toEqual(['action:new']);
    expect((await db.db.collection(AUDIT_COLLECTION).find({}).toArray()).map((d) => d._id)).toEqual(['a-new']);

    // The simulator's jobs (report inside) and cancel requests, by their last heartbeat: a running job keeps its own fresh.
    await db.db.collection<{ _id: string; status: string; heartbeatAt: Date }>(SIMULATIONS_COLLECTION).insertMany([
      { _id: 'sim-old', status: 'done', heartbeatAt: ago(8) },
      { _id: 'sim-lost', status: 'running', heartbeatAt: ago(9) },
      { _id: 'sim-recent', status: 'done', heartbeatAt: ago(6) },
    ]);
    await db.db.collection<{ _id: string; at: Date }>(SIMULATION_CANCELS_COLLECTION).insertMany([
      { _id: 'sim-old', at: ago(8) },
      { _id: 'sim-recent', at: ago(6) },
    ]);
    expect(await deleteExpired(db.db, config, ['simulations'], { now: NOW })).toEqual({ simulations: 3 });
    expect((await db.db.collection(SIMULATIONS_COLLECTION).find({}).toArray()).map((d) => d._id)).toEqual(['sim-recent']);
    expect((await db.db.collection(SIMULATION_CANCELS_COLLECTION).find({}).toArray()).map((d) => d._id)).toEqual(['sim-recent']);

    // A run out of time stops after one turn (a batch of each kind), and the next run goes on from there.
    await signals.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: `late/${i}`, receivedAt: ago(40) })));
    await db.db.collection<{ _id: string; at: Date }>(AUDIT_COLLECTION).insertMany([
      { _id: 'a-old-2', at: ago(400) },
      { _id: 'a-old-3', at: ago(401) },
    ]);
    expect(await deleteExpired(db.db, config, ['signals', 'positronAudit'], { now: NOW, batch: 4, maxRunMs: 0 })).toEqual({ signals: 4, positronAudit: 2 });
    expect(await deleteExpired(db.db, config, ['signals', 'positronAudit'], { now: NOW, batch: 4, maxRunMs: 0 })).toEqual({ signals: 4 });
    expect(await deleteExpired(db.db, config, ['signals'], { now: NOW, batch: 4 })).toEqual({ signals: 2 });

    // A second run finds nothing more; a kind kept forever is never touched.
    expect(await deleteExpired(db.db, config, ['signals'], { now: NOW })).toEqual({});
    expect(await deleteExpired(db.db, { ...config, positronAudit: false }, ['positronAudit'], { now: new Date(NOW.getTime() + 1000 * DAY) })).toEqual({});
  });
});

describe('retention job in a running taser', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ file: { retention: { signals: '2d' } } });
  });
  afterAll(async () => t?.stop());

  // On MongoDB the TTL monitor deletes on its own schedule (about every 60 s) and the job is not scheduled.
  it.skipIf(testMongoKind() !== 'ferretdb')('deletes expired signals when the job runs (on a server without TTL indexes)', async () => {
    const signals = t.taser.database.db.collection<{ _id: string; receivedAt: Date }>(SIGNALS_COLLECTION);
    await signals.insertMany([
      { _id: 'job/old', receivedAt: new Date(Date.now() - 3 * DAY) },
      { _id: 'job/new', receivedAt: new Date(Date.now() - DAY) },
    ]);
    await t.taser.jobs.port().now({ name: RETENTION_JOB }, undefined);
    const done = await waitUntil(() => t.logs.find((l) => l.msg === 'retention: expired documents deleted'), 'the retention job to run', 15_000);
    expect(done.deleted).toEqual({ signals: 1 });
    expect(await signals.findOne({ _id: 'job/old' })).toBeNull();
    expect(await signals.findOne({ _id: 'job/new' })).not.toBeNull();
  });
});
