// Case channel entries through the case outbox to a backend implementing the port in memory: one task per
// channel ("Slack #<name>", group slack), its id remembered, one task log per entry in order, and a failed
// log call retried without doubling anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { openTestDatabase } from '../../../test/support/db.js';
import { startSlackFake, type SlackFake } from '../../../test/support/slack-fake.js';
import { waitUntil } from '../../../test/support/wait.js';
import { MemoryBackend, casesOn } from '../../../test/cases/helpers.js';
import type { Principal } from '../access.js';
import type { Cases } from '../wire.js';
import { entriesOfMessage } from './entry.js';

const soc: Principal = { actor: 'USOC1', isMember: async (g) => g.includes('soc') };

describe('case channels mirrored by the case outbox', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let slack: SlackFake;
  const backend = new MemoryBackend();
  let cases: Cases;

  beforeAll(async () => {
    db = await openTestDatabase('casechannelmirror');
    slack = await startSlackFake({ token: 'xoxb-mirror' });
    slack.addUser({ id: 'U0ANA0001', name: 'ana' });
    const client = new WebClient('xoxb-mirror', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    cases = casesOn(db.db, { backend, slack: client, config: { retryBaseSeconds: 0.05, maxAttempts: 5 } });
    await cases.ensureIndexes();
  });
  afterAll(async () => {
    await db?.drop();
    await slack?.stop();
  });

  it('makes the channel task once and logs each entry once, in order, across a retried failure', async () => {
    const c = await cases.service.create(soc, { title: 'Mirror me', severity: 'low' });
    const doc = { _id: 'C0MIRROR1', caseId: c._id, caseNumber: c.number, name: 'case-1-mirror-me', private: false, createdAt: new Date(), createdBy: 'USOC1', threads: [] };
    await cases.channels!.store.add(doc);
    await cases.service.appendLog(c._id, 'USOC1', 'channel_opened', { channel: doc._id, name: doc.name, private: false, requestedBy: 'USOC1' });
    backend.failNext('addTaskLog', { retryable: true, status: 503 });
    for (const [ts, text] of [['1700000100.000001', 'first'], ['1700000101.000001', 'second'], ['1700000102.000001', 'third']] as const) {
      for (const raw of entriesOfMessage(doc._id, { ts, user: 'U0ANA0001', text }, 'event')) expect(await cases.channels!.log.log(doc, raw)).toBe(true);
    }
    // Logged again (a retry, a backfill): nothing new.
    expect(await cases.channels!.log.log(doc, entriesOfMessage(doc._id, { ts: '1700000100.000001', user: 'U0ANA0001', text: 'first' }, 'backfill')[0]!)).toBe(false);

    // No job runner here: the retry after the 503 waits for a kick or the sweep, so the sweep runs as it would
    // every 30 s (the three appends can all fall inside the 50 ms backoff, leaving no later kick).
    await waitUntil(async () => {
      await cases.sync.processDue();
      return (await cases.store.get(c._id))?.backend.sync === 'synced' && backend.tasks.size === 1 && [...backend.tasks.values()][0]!.logs.length === 3;
    }, 'the three logs mirrored', 15_000);
    const [taskId, task] = [...backend.tasks][0]!;
    expect(task).toMatchObject({ title: 'Slack #case-1-mirror-me', group: 'slack' });
    expect(task.logs.map((l) => l.message.split('\n')[1])).toEqual(['first', 'second', 'third']);
    expect(task.logs[0]!.message).toMatch(/^\*\*ana \(U0ANA0001\)\*\* at 2023-11-14T22:15:00\.000Z:/);
    expect(task.logs.map((l) => l.date)).toEqual([1700000100000, 1700000101000, 1700000102000]);
    expect(backend.calls.filter((x) => x.method === 'addTaskLog')).toHaveLength(4);
    expect((await cases.channels!.store.get(doc._id))!.taskId).toBe(taskId);
  });
});
