// The card outbox under a burst: one POST makes dozens of alerts at once, two replicas share the database and
// the outbox, and the requests and sends are applied a burst at a time. Each card is in the channel exactly
// once, and the burst costs a few database commands, not a few per alert. Then a sweep killed after claiming
// its cards (some posted, some not, none recorded) is finished by the next run: nothing lost, nothing doubled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { startSlackFake, type SlackFake } from '../../test/support/slack-fake.js';
import { postSignals } from '../../test/support/signal-webhook.js';
import { freshDbUri } from '../../test/support/db.js';
import { waitUntil } from '../../test/support/wait.js';
import type { JobRef } from '../../src/plugins/types.js';
import type { DeliveryDoc } from './deliveries.js';
import { cardTestAppOptions } from './card-test-app.js';

const TOKEN = 'token-bursts-7d1e';
const CHANNEL = 'C0BURSTS';
const BURST = 40;

describe('alert card outbox in bursts, two replicas', () => {
  let slack: SlackFake;
  let a: TestApp;
  let b: TestApp;
  const commands = new Map<string, number>();
  /** Statements (an update's or delete's) and documents (an insert's) of those commands. */
  const rows = new Map<string, number>();
  const deliveries = () => a.taser.database.db.collection<DeliveryDoc>('plugin_alerts_deliveries');
  const claims = () => a.taser.database.db.collection<{ _id: string; at: Date }>('plugin_alerts_claims');
  const cardsOf = (alertId: string) => slack.messagesIn(CHANNEL).filter((m) => JSON.stringify(m.blocks ?? []).includes(alertId));
  const runOutbox = () => a.taser.jobs.port().now({ name: 'alerts.outbox' } as JobRef<{ reason?: string }>, { reason: 'test' });

  /** One POST of `count` signals, each of a group of its own: `count` new alerts at once. */
  async function burst(prefix: string, count: number): Promise<string[]> {
    const at = new Date().toISOString();
    const body = JSON.stringify(Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, type: 'finding', occurredAt: at, artifacts: { host: `${prefix}-${i}` } })));
    expect((await postSignals(a, 'test', body, TOKEN)).status).toBe(202);
    const alerts = await waitUntil(async () => {
      const found = await a.taser.correlation.alerts.collection.find({ 'group.host': { $in: Array.from({ length: count }, (_, i) => `${prefix}-${i}`) } }).toArray();
      return found.length === count ? found : undefined;
    }, `the ${count} alerts of ${prefix}`);
    return alerts.map((x) => x._id);
  }

  const allPosted = (ids: string[], what: string) =>
    waitUntil(async () => {
      const docs = await deliveries().find({ _id: { $in: ids } }).toArray();
      return docs.length === ids.length && docs.every((d) => d.status === 'posted' && !d.dirty && d.ts) ? docs : undefined;
    }, what, 30_000);

  beforeAll(async () => {
    slack = await startSlackFake({ token: 'xoxb-test-token' });
    slack.addChannel({ id: CHANNEL, name: 'bursts' });
    const options = { ...cardTestAppOptions(CHANNEL, TOKEN), slack, keepDatabase: true, mongodbUri: `${freshDbUri('bursts')}?monitorCommands=true` };
    a = await startTestApp(options);
    b = await startTestApp(options);
    for (const app of [a, b]) {
      app.taser.database.client.on('commandStarted', (e) => {
        // This test's own polling for the burst's alerts is not taser's work.
        if ((e.command.filter as Record<string, unknown> | undefined)?.['group.host'] !== undefined) return;
        const target = e.command[e.commandName] as unknown;
        const key = `${e.commandName} ${typeof target === 'string' ? target : ''}`;
        commands.set(key, (commands.get(key) ?? 0) + 1);
        const carried = (e.command.documents ?? e.command.updates ?? e.command.deletes) as unknown[] | undefined;
        if (Array.isArray(carried)) rows.set(key, (rows.get(key) ?? 0) + carried.length);
      });
    }
  });
  afterAll(async () => {
    await b?.stop();
    await a?.taser.database.db.dropDatabase().catch(() => {});
    await a?.stop();
    await slack?.stop();
  });

  it('posts each card of a burst of new alerts exactly once, in a few database commands', async () => {
    commands.clear();
    rows.clear();
    const ids = await burst('burst', BURST);
    await allPosted(ids, 'every card of the burst posted');
    for (const id of ids) expect(cardsOf(id)).toHaveLength(1);
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL)).toHaveLength(BURST);
    // Per burst, not per alert (one each per alert before): routing reads and new delivery rows per burst of
    // requests (one per replica's correlation round); claims, delivery updates, alert and case reads per sweep
    // of the outbox (a sweep takes what is due when it starts, so a loaded machine may run a few more, smaller ones).
    const count = (key: string) => commands.get(key) ?? 0;
    expect(count('find plugin_alerts_snoozes')).toBeLessThan(BURST / 4);
    expect(count('insert plugin_alerts_deliveries')).toBeLessThan(BURST / 4);
    expect(count('insert plugin_alerts_claims')).toBeLessThan(BURST / 2);
    // A sweep's claims and its sent cards are recorded in a few bulkWrites, not two updates per card.
    expect(count('update plugin_alerts_deliveries')).toBeLessThan(BURST / 2);
    expect(count('find alerts')).toBeLessThan(BURST / 2);
    expect(count('find cases')).toBeLessThan(BURST / 2);
    // One row update per card sent (its record, with its claim's number), one claim and one row insert each.
    expect(rows.get('update plugin_alerts_deliveries') ?? 0).toBeLessThanOrEqual(BURST + 2);
    expect(rows.get('insert plugin_alerts_claims') ?? 0).toBeLessThanOrEqual(BURST + 2);
    expect(rows.get('insert plugin_alerts_deliveries') ?? 0).toBe(BURST);
  });

  it('a sweep killed after claiming its cards, some posted and none recorded: the next run posts the rest once, none twice', async () => {
    const ids = await burst('killed', 20);
    const before = await allPosted(ids, 'the cards posted');
    const old = new Date(Date.now() - 5 * 60_000);
    // The state a SIGKILL leaves in the middle of a sweep: every card claimed (its claim record, expired now; the
    // delivery row learns a claim only with its send's outcome), the even ones posted by Slack and not recorded,
    // the odd ones not posted at all.
    // The outbox of either replica may run while this state is made (a sweep, a wake): calls are counted from here.
    const mark = slack.calls.length;
    for (const [i, d] of before.entries()) {
      if (i % 2) {
        const messages = slack.messagesIn(CHANNEL);
        messages.splice(messages.findIndex((m) => m.ts === d.ts), 1);
      }
      // The dead claimer won the next number and deleted its card's spent one, as a winner does.
      await claims().insertOne({ _id: `${d._id}#${d.claims + 1}`, at: old });
      await claims().deleteOne({ _id: `${d._id}#${d.claims}` });
      await deliveries().updateOne(
        { _id: d._id },
        { $set: { status: 'pending', dirty: true, nextAttemptAt: old }, $inc: { rev: 1 }, $unset: { ts: '' } },
      );
    }
    await runOutbox();
    const after = await allPosted(ids, 'every card of the killed sweep recorded');
    for (const id of ids) expect(cardsOf(id)).toHaveLength(1);
    for (const [i, d] of before.entries()) {
      const now = after.find((x) => x._id === d._id)!;
      if (i % 2) expect(now.ts).not.toBe(d.ts); // posted now
      else expect(now.ts).toBe(d.ts); // found in the channel and updated, not posted again
    }
    const posts = slack.calls.slice(mark).filter((c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL);
    for (const [i, d] of before.entries()) expect(posts.filter((c) => JSON.stringify(c.args).includes(d._id))).toHaveLength(i % 2);
    // One claim record per card: the dead sweep's spent ones were deleted by the winners.
    const numbers = before.flatMap((d) => [d.claims, d.claims + 1, d.claims + 2, d.claims + 3].map((n) => `${d._id}#${n}`));
    const left = await claims().find({ _id: { $in: numbers } }).toArray();
    expect(left.map((c) => c._id).sort()).toEqual(after.map((d) => `${d._id}#${d.claims}`).sort());
  });
});
