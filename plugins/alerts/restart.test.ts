// Cards neither lost nor doubled across a crash (issue 10.4). The states a SIGKILL leaves are made in the real
// database exactly as a process dying at that line would leave them, then the outbox job runs again (as after a
// restart) against the Slack fake: a claim won but never recorded does not block the card for good, and a post
// Slack accepted but the database never recorded is found and updated, not posted twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { postSignals } from '../../test/support/signal-webhook.js';
import { waitUntil } from '../../test/support/wait.js';
import { JOBS_COLLECTION } from '../../src/jobs/scheduler.js';
import type { JobRef } from '../../src/plugins/types.js';
import type { DeliveryDoc } from './deliveries.js';
import { cardTestAppOptions } from './card-test-app.js';

const TOKEN = 'token-restart-5a2c';
const CHANNEL = 'C0DEFAULT';

describe('alert card outbox across a crash', () => {
  let t: TestApp;
  const deliveries = () => t.taser.database.db.collection<DeliveryDoc>('plugin_alerts_deliveries');
  const runOutbox = () => t.taser.jobs.port().now({ name: 'alerts.outbox' } as JobRef<{ reason?: string }>, { reason: 'test restart' });

  /** Posts one signal of its own group and waits for its card's delivery to be recorded as posted. */
  async function postedCard(host: string): Promise<DeliveryDoc> {
    const res = await postSignals(t, 'test', JSON.stringify({ id: `s-${host}`, type: 'finding', occurredAt: new Date().toISOString(), artifacts: { host } }), TOKEN);
    expect(res.status).toBe(202);
    const alert = await waitUntil(() => t.taser.correlation.alerts.collection.findOne({ 'group.host': host }), `the alert of ${host}`);
    return waitUntil(async () => {
      const d = await deliveries().findOne({ _id: alert._id });
      return d?.status === 'posted' && !d.dirty ? d : undefined;
    }, `the card of ${host} posted`);
  }
  const cardsOf = (alertId: string) => t.slack.messagesIn(CHANNEL).filter((m) => JSON.stringify(m.blocks ?? []).includes(alertId));

  beforeAll(async () => {
    t = await startTestApp(cardTestAppOptions(CHANNEL, TOKEN));
    t.slack.addChannel({ id: CHANNEL, name: 'alerts' });
  });
  afterAll(async () => t?.stop());

  it('updates a card whose last claim was won by a process killed before it recorded the claim', async () => {
    const d = await postedCard('claimed-then-killed');
    // Killed between the claim insert and the delivery update, while a change was pending.
    await t.taser.database.db.collection('plugin_alerts_claims').insertOne({ _id: `${d._id}#${d.claims + 1}` as never, at: new Date(Date.now() - 5 * 60_000) });
    await deliveries().updateOne({ _id: d._id }, { $set: { dirty: true, nextAttemptAt: new Date(), rev: d.rev + 1 } });
    t.slack.reset();
    await runOutbox();
    await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts, 10_000);
    await waitUntil(async () => (await deliveries().findOne({ _id: d._id }))?.dirty === false, 'the update recorded');
  });

  it('finds a card Slack accepted but the database never recorded, and updates it instead of posting twice', async () => {
    const d = await postedCard('posted-then-killed');
    expect(cardsOf(d._id)).toHaveLength(1);
    // Killed between chat.postMessage's answer and recording the ts: the delivery still says "not posted".
    await deliveries().updateOne(
      { _id: d._id },
      { $set: { status: 'pending', dirty: true, nextAttemptAt: new Date(), postingSince: new Date(Date.now() - 30_000) }, $unset: { ts: '', claimedUntil: '' } },
    );
    t.slack.reset();
    await runOutbox();
    await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts, 10_000);
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL)).toEqual([]);
    expect(cardsOf(d._id)).toHaveLength(1);
    await waitUntil(async () => (await deliveries().findOne({ _id: d._id }))?.ts === d.ts, 'the ts recorded again');
  });

  it('keeps one claim record per card, not one per send', async () => {
    const d = await postedCard('many-sends');
    const claimsOf = () => t.taser.database.db.collection<{ _id: string }>('plugin_alerts_claims').find({ _id: { $regex: `^${d._id}#` } }).toArray();
    for (let send = 0; send < 3; send++) {
      const before = (await deliveries().findOne({ _id: d._id }))!;
      t.slack.reset();
      await deliveries().updateOne({ _id: d._id }, { $set: { dirty: true, urgent: true, nextAttemptAt: new Date() }, $inc: { rev: 1 } });
      await runOutbox();
      await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts, 10_000);
      await waitUntil(async () => {
        const now = await deliveries().findOne({ _id: d._id });
        return now && !now.dirty && now.claims > before.claims ? now : undefined;
      }, `send ${send + 1} recorded`);
    }
    const last = (await deliveries().findOne({ _id: d._id }))!;
    expect(last.claims).toBeGreaterThanOrEqual(4);
    expect((await claimsOf()).map((c) => c._id)).toEqual([`${d._id}#${last.claims}`]);
    expect(cardsOf(d._id)).toHaveLength(1);
  });

  it('a signal appended while its card is being sent shows in the next update: its request finds the claim and marks the row', async () => {
    const d = await postedCard('appended-mid-send');
    t.slack.reset();
    const release = t.slack.holdNext('chat.update');
    await deliveries().updateOne({ _id: d._id }, { $set: { dirty: true, urgent: true, nextAttemptAt: new Date() }, $inc: { rev: 1 } });
    await runOutbox();
    const first = await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts, 10_000); // in flight, held
    expect(String(first.args.text)).toMatch(/1 signal\b/);
    const sending = (await deliveries().findOne({ _id: d._id }))!;
    const body = JSON.stringify({ id: 's-appended-mid-send-2', type: 'finding', occurredAt: new Date().toISOString(), artifacts: { host: 'appended-mid-send' } });
    expect((await postSignals(t, 'test', body, TOKEN)).status).toBe(202);
    // The row is due and says nothing of the send (only the claim record does): the request must look there.
    await waitUntil(async () => ((await deliveries().findOne({ _id: d._id }))!.rev > sending.rev ? true : undefined), 'the change written while the update is in flight');
    release();
    await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts && /2 signals/.test(String(c.args.text)), 15_000);
    await waitUntil(async () => {
      const now = await deliveries().findOne({ _id: d._id });
      return now && !now.dirty && now.claims >= sending.claims + 2 ? now : undefined;
    }, 'the second update recorded');
    expect(cardsOf(d._id)).toHaveLength(1);
  });

  it('leaves no finished outbox job records in the jobs collection', async () => {
    await postedCard('no-pile-up');
    await waitUntil(
      async () => (await t.taser.database.db.collection(JOBS_COLLECTION).countDocuments({ name: 'alerts.outbox', lastFinishedAt: { $ne: null }, nextRunAt: null, failedAt: null })) === 0,
      'finished one-off outbox jobs removed',
    );
  });
});
