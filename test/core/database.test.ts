// The real database server the harness provides: connection, the unique-index arbiter, Agenda jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDatabase } from '../support/db.js';
import { connectDatabase, DatabaseUnavailableError, isDuplicateKeyError } from '../../src/store/mongo.js';
import { JobRunner } from '../../src/jobs/scheduler.js';

const silent = pino({ level: 'silent' });

describe('database harness', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('database');
  });
  afterAll(async () => database.drop());

  it('enforces a unique index with duplicate key code 11000', async () => {
    const col = database.db.collection('arbiter');
    await col.createIndex({ rule: 1, group: 1 }, { unique: true });
    await col.insertOne({ rule: 'r1', group: 'alice' });
    const err = await col.insertOne({ rule: 'r1', group: 'alice' }).catch((e: unknown) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(await col.countDocuments()).toBe(1);
  });

  it('runs an Agenda job through the scheduler port', async () => {
    const jobs = new JobRunner(database.db, silent, { processEveryMs: 100 });
    const seen: unknown[] = [];
    let done!: () => void;
    const ran = new Promise<void>((resolve) => (done = resolve));
    jobs.define('test.record', async (data) => {
      seen.push(data);
      done();
    });
    await jobs.start();
    try {
      await jobs.port().now({ name: 'test.record' }, { n: 1 });
      await ran;
      expect(seen).toEqual([{ n: 1 }]);
    } finally {
      await jobs.drain(5000);
    }
  });

  it('reports an unreachable server clearly instead of hanging', async () => {
    const started = Date.now();
    const err = await connectDatabase('mongodb://user:hunter2@127.0.0.1:1/taser', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(/cannot reach MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/taser/);
    expect((err as Error).message).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
