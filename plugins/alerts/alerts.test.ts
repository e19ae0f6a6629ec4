// Alert cards end to end: signals posted through the real HTTP route, the live correlator, this plugin's
// outbox job on the real database, the real Web API client talking to the Slack fake, and buttons, modals
// and commands sent as signed Slack requests through the real Bolt receiver.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startTestApp, TEST_BOT_TOKEN, TEST_SIGNING_SECRET, type TestApp } from '../../test/support/app.js';
import { startSlackFake, type SlackFake } from '../../test/support/slack-fake.js';
import { blockActionsBody, sendSlackRequest, slackCommandBody, viewSubmissionBody } from '../../test/support/slack-requests.js';
import { blockKitProblems } from '../../test/support/block-kit-check.js';
import { freshDbUri } from '../../test/support/db.js';
import { waitUntil } from '../../test/support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { fileConfigSchema, type AppConfig } from '../../src/app/config.js';
import { startTaser, type Taser } from '../../src/app/runtime.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { DeliveryDoc } from './deliveries.js';

const sources = fileURLToPath(new URL('../../test/fixtures/plugins/sources', import.meta.url));
const providers = fileURLToPath(new URL('../../test/fixtures/plugins/providers', import.meta.url));
const HMAC_SECRET = 'hmac-secret-for-tests-0123456789';

const rules = [
  { id: 'appsec-finding', name: 'AppSec finding', severity: 'medium', parts: [{ match: { type: 'appsec_finding' }, count: 1 }], window: '1h', groupBy: ['host'] },
  { id: 'risky-login', severity: 'medium', team: 'identity', parts: [{ match: { type: 'risky_login' }, count: 1 }], window: '1h', groupBy: ['username'] },
  { id: 'nobot', severity: 'high', team: 'nobot', parts: [{ match: { type: 'nobot_event' }, count: 1 }], window: '1h', groupBy: ['host'] },
  { id: 'flaky', severity: 'high', team: 'flaky', parts: [{ match: { type: 'flaky_event' }, count: 1 }], window: '1h', groupBy: ['host'] },
];

const alertsSettings = {
  teams: {
    appsec: { group: 'appsec', leads: 'leads' },
    identity: { group: 'identity', leads: 'leads', threshold: 'high' },
    nobot: { group: 'appsec' },
    flaky: { group: 'appsec' },
  },
  updateIntervalSeconds: 3600,
  maxAttempts: 3,
  retryBaseSeconds: 0.2,
};

const fileConfig = (settings: Record<string, unknown> = alertsSettings) => ({
  plugins: { passthrough: { enabled: true }, alerts: settings, 'static-hosts': { enabled: true, hosts: { '10.1.2.3': 'web01.corp.example' } } },
  sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
  rules,
  channels: { default: 'C0DEFAULT', admin: 'C0ADMIN', teams: { appsec: 'C0APPSEC', identity: 'C0IDENT', nobot: 'C0NOBOT', flaky: 'C0FLAKY' } },
  groups: { appsec: { users: ['U0APPSEC1'] }, identity: { users: ['U0IDENT1'] }, leads: { users: ['U0LEAD01'] } },
});

function seedSlack(slack: SlackFake) {
  for (const id of ['C0DEFAULT', 'C0ADMIN', 'C0APPSEC', 'C0IDENT', 'C0FLAKY']) slack.addChannel({ id, name: id.toLowerCase() });
  slack.addChannel({ id: 'C0NOBOT', name: 'nobot' }, { botIsMember: false });
  for (const id of ['U0APPSEC1', 'U0IDENT1', 'U0LEAD01', 'U0OUTSIDE']) slack.addUser({ id, name: id.toLowerCase() });
}

let seq = 0;
const signal = (type: string, at: string, artifacts: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id: `s${++seq}`, type, occurredAt: at, artifacts, ...extra });

function hmacHeaders(body: string) {
  const at = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', HMAC_SECRET).update(`${at}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) };
}


/** Posts a signal through POST /signals/test and waits until the correlator has seen it. */
async function ingest(taser: Taser, s: ReturnType<typeof signal>) {
  const body = JSON.stringify(s);
  const res = await fetch(`${taser.url}/signals/test`, { method: 'POST', headers: hmacHeaders(body), body });
  expect(res.status).toBe(202);
  await waitUntil(() => taser.correlation.live.idle(), `signal ${s.id} correlated`);
}

const deliveriesOf = (taser: Taser) => taser.database.db.collection<DeliveryDoc>('plugin_alerts_deliveries');
const alertOf = (taser: Taser, ruleId: string, group: Record<string, string>) =>
  waitUntil(() => taser.correlation.alerts.collection.find({ ruleId, group }).sort({ firstSeen: -1 }).limit(1).next(), `an alert of ${ruleId}`);

type Button = { action_id: string; value?: string; url?: string; text: { text: string } };
function buttonsOf(message: { blocks?: unknown }): Button[] {
  return ((message.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

describe('alert cards', () => {
  let t: TestApp;
  const send = (body: Parameters<typeof sendSlackRequest>[1]) => sendSlackRequest(t.slackUrl, body, { secret: TEST_SIGNING_SECRET });
  const card = (alertId: string) => deliveriesOf(t.taser).findOne({ _id: alertId });
  const posted = (alertId: string) => waitUntil(async () => ((await card(alertId))?.status === 'posted' ? card(alertId) : null), `the card of ${alertId} posted`);
  const messageOf = (d: DeliveryDoc) => t.slack.messagesIn(d.channel!).find((m) => m.ts === d.ts)!;
  const click = async (d: DeliveryDoc, actionId: string, userId: string, responseId: string) => {
    const button = buttonsOf(messageOf(d)).find((b) => b.action_id === actionId);
    expect(button, `button ${actionId}`).toBeDefined();
    const res = await send(blockActionsBody({ actionId, value: button!.value, userId, channelId: d.channel, messageTs: d.ts, responseUrl: t.slack.responseUrl(responseId) }));
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    const slack = await startSlackFake({ token: TEST_BOT_TOKEN });
    seedSlack(slack);
    t = await startTestApp({ slack, pluginDirs: [BUILTIN_PLUGINS_DIR, sources, providers], file: fileConfig(), env: { TEST_SOURCE_SECRET: HMAC_SECRET } });
  });
  afterAll(async () => {
    await t?.stop();
    await t?.slack.stop();
  });
  beforeEach(() => t.slack.reset());

  it("posts a new alert's card to the channel of the team its signals are tagged with, inside every Block Kit limit", async () => {
    await ingest(t.taser, signal('appsec_finding', '2026-11-20T09:00:00Z', { host: 'web01', src_ip: '10.1.2.3' }, { tags: ['Team:AppSec'], link: 'https://siem.example.com/e/1', title: 'SQL injection attempt' }));
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
    expect(alert.team).toBe('appsec');
    const d = await posted(alert._id);
    expect(d.channel).toBe('C0APPSEC');
    const call = t.slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0APPSEC')!;
    expect(blockKitProblems(call.args)).toEqual([]);
    expect(call.args.ts ?? d.ts).toBeTruthy();
    expect(String(messageOf(d).text)).toMatch(/AppSec finding.*host=web01.*1 signal/);
    // Only buttons that do something: details (a link), lookup, acknowledge, snooze, close, and the case buttons (no Ask user: a host alert names no user).
    const buttons = buttonsOf(messageOf(d));
    expect(buttons.map((b) => b.action_id)).toEqual(['alerts:details', 'alerts:lookup', 'alerts:ack', 'alerts:snooze', 'alerts:close', 'cases:create-from-alert', 'cases:add-to-case']);
    expect(buttons[0]!.url).toBe('https://siem.example.com/e/1');
    expect(JSON.parse(buttons[2]!.value!)).toEqual({ a: alert._id });
  });

  it('sends an alert without a team to channels.default', async () => {
    await ingest(t.taser, signal('appsec_finding', '2026-11-20T09:00:00Z', { host: 'untagged01' }));
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'untagged01' });
    expect(alert.team).toBeUndefined();
    expect((await posted(alert._id)).channel).toBe('C0DEFAULT');
  });

  it('coalesces appended signals into one chat.update of the same card per interval', async () => {
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
    const before = (await card(alert._id))!;
    for (const minute of [10, 11, 12]) {
      await ingest(t.taser, signal('appsec_finding', `2026-11-20T09:${minute}:00Z`, { host: 'web01' }, { tags: ['Team:AppSec'] }));
    }
    // The first change marks the card due; the next two find it due and not being sent, and need no write (the
    // update reads the alert when it is sent).
    await waitUntil(async () => (await t.taser.correlation.alerts.get(alert._id))?.signalCount === 4, 'the alert holding four signals');
    const dirty = await waitUntil(async () => {
      const d = await card(alert._id);
      return d && d.dirty && d.rev >= before.rev + 1 ? d : null;
    }, 'the card marked due for an update');
    // The interval (an hour here) has not passed since the post: the update waits, nothing was sent yet.
    expect(dirty.nextAttemptAt.getTime()).toBe(before.lastSentAt!.getTime() + 3600_000);
    expect(t.slack.callsTo('chat.update')).toEqual([]);

    // The hour passes: one update carries all three appended signals.
    await deliveriesOf(t.taser).updateOne({ _id: alert._id }, { $set: { nextAttemptAt: new Date(Date.now() - 1000) } });
    await t.taser.jobs.agenda.now('alerts.outbox', {});
    const done = await waitUntil(async () => ((await card(alert._id))?.dirty === false ? card(alert._id) : null), 'the coalesced update sent');
    const updates = t.slack.callsTo('chat.update');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.args).toMatchObject({ channel: 'C0APPSEC', ts: before.ts });
    expect(done.ts).toBe(before.ts);
    expect(String(messageOf(done).text)).toMatch(/4 signals/);
    expect(t.slack.messagesIn('C0APPSEC').filter((m) => String(m.text).includes('host=web01'))).toHaveLength(1);
  });

  it("refuses ack, snooze and close to someone outside the team's group, ephemerally, and audits it", async () => {
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
    const d = (await card(alert._id))!;
    for (const action of ['ack', 'snooze', 'close']) {
      await click(d, `alerts:${action}`, 'U0OUTSIDE', `deny-${action}`);
      const reply = await t.slack.waitForResponse((r) => r.id === `deny-${action}`);
      expect(reply.body).toMatchObject({ response_type: 'ephemeral' });
      expect(String(reply.body.text)).toMatch(/Only members of `appsec`/);
    }
    expect(t.slack.callsTo('views.open')).toEqual([]);
    expect((await t.taser.correlation.alerts.get(alert._id))!.status).toBe('open');
    expect(t.logs.filter((l) => l.audit === 'acl_denied' && l.user === 'U0OUTSIDE' && l.alert === alert._id).map((l) => l.action)).toEqual(['acknowledge', 'snooze', 'close']);
    const audit = await t.taser.database.db.collection('plugin_alerts_audit').find({ user: 'U0OUTSIDE', outcome: 'denied' }).toArray();
    expect(audit.map((a) => a.action)).toEqual(['acknowledge', 'snooze', 'close']);
  });

  it('acknowledges for a team member: who and when on the alert, the card updated at once', async () => {
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
    const d = (await card(alert._id))!;
    await click(d, 'alerts:ack', 'U0APPSEC1', 'ack');
    const acked = (await waitUntil(async () => {
      const a = (await t.taser.correlation.alerts.get(alert._id)) as (StoredAlert & { acknowledged?: { by: string } }) | null;
      return a?.status === 'acknowledged' ? a : null;
    }, 'the alert acknowledged'))!;
    expect(acked.acknowledged?.by).toBe('U0APPSEC1');
    expect(acked.history.at(-1)).toMatchObject({ kind: 'acknowledged', by: 'U0APPSEC1' });
    await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts);
    const message = messageOf(d);
    expect(JSON.stringify(message.blocks)).toContain('U0APPSEC1');
    expect(buttonsOf(message).map((b) => b.action_id)).not.toContain('alerts:ack');
  });

  it('answers Lookup with Positron results in the card thread', async () => {
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
    const d = (await card(alert._id))!;
    await click(d, 'alerts:lookup', 'U0OUTSIDE', 'lookup');
    const reply = await t.slack.waitForCall('chat.postMessage', (c) => c.args.thread_ts === d.ts);
    expect(reply.args.channel).toBe('C0APPSEC');
    expect(JSON.stringify(reply.args)).toContain('web01.corp.example');
  });

  it('snoozes from a modal: no new card for that rule and group until then, the alert still stored', async () => {
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
    const d = (await card(alert._id))!;
    await click(d, 'alerts:snooze', 'U0APPSEC1', 'snooze');
    const open = await t.slack.waitForCall('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('alerts:snooze');
    const res = await send(
      viewSubmissionBody({ userId: 'U0APPSEC1', callbackId: view.callback_id, privateMetadata: view.private_metadata, values: { duration: { value: { type: 'static_select', selected_option: { value: '4' } } } } }),
    );
    expect(res.status).toBe(200);
    await waitUntil(async () => (await t.taser.correlation.alerts.get(alert._id))?.status === 'snoozed', 'the alert snoozed');
    await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts);

    // A later episode of the same rule and group: stored, searchable, not posted.
    await ingest(t.taser, signal('appsec_finding', '2026-11-20T15:00:00Z', { host: 'web01' }, { tags: ['Team:AppSec'] }));
    const next = await waitUntil(async () => {
      const a = await alertOf(t.taser, 'appsec-finding', { host: 'web01' });
      return a._id !== alert._id ? a : null;
    }, 'a new episode');
    const suppressed = await waitUntil(() => card(next._id), 'the new alert routed');
    expect(suppressed).toMatchObject({ status: 'suppressed', suppressed: { reason: 'snoozed' } });
    expect((await t.taser.correlation.alerts.search({ team: 'appsec', limit: 10 })).alerts.map((a) => a._id)).toContain(next._id);
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0APPSEC' && !c.args.thread_ts)).toEqual([]);
  });

  it('closes from a modal with a reason, shown on the card', async () => {
    const alert = (await t.taser.correlation.alerts.collection.find({ ruleId: 'appsec-finding', group: { host: 'web01' } }).sort({ firstSeen: 1 }).limit(1).next())!;
    const d = (await card(alert._id))!;
    await click(d, 'alerts:close', 'U0APPSEC1', 'close');
    const open = await t.slack.waitForCall('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('alerts:close');
    const empty = await send(viewSubmissionBody({ userId: 'U0APPSEC1', callbackId: view.callback_id, privateMetadata: view.private_metadata, values: { reason: { value: { type: 'plain_text_input', value: ' ' } } } }));
    expect(empty.json).toMatchObject({ response_action: 'errors', errors: { reason: expect.any(String) } });
    await send(viewSubmissionBody({ userId: 'U0APPSEC1', callbackId: view.callback_id, privateMetadata: view.private_metadata, values: { reason: { value: { type: 'plain_text_input', value: 'pentest, agreed' } } } }));
    const closed = await waitUntil(async () => {
      const a = await t.taser.correlation.alerts.get(alert._id);
      return a?.status === 'closed' ? a : null;
    }, 'the alert closed');
    expect(closed.history.at(-1)).toMatchObject({ kind: 'closed', by: 'U0APPSEC1', note: 'pentest, agreed' });
    await t.slack.waitForCall('chat.update', (c) => c.args.ts === d.ts);
    const message = messageOf(d);
    expect(JSON.stringify(message.blocks)).toContain('pentest, agreed');
    expect(buttonsOf(message).map((b) => b.action_id)).toEqual(['alerts:details', 'alerts:lookup']);
  });

  it("stores an alert below the team's threshold without posting it; a lead lowers the threshold, others may not", async () => {
    await ingest(t.taser, signal('risky_login', '2026-11-20T09:00:00Z', { username: 'alice' }));
    const alice = await alertOf(t.taser, 'risky-login', { username: 'alice' });
    expect(await waitUntil(() => card(alice._id), 'routing')).toMatchObject({ status: 'suppressed', suppressed: { reason: 'below_threshold' } });
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0IDENT')).toEqual([]);

    await send(slackCommandBody({ command: '/taser', text: 'threshold identity medium', userId: 'U0IDENT1', responseUrl: t.slack.responseUrl('th-denied') }));
    expect(String((await t.slack.waitForResponse((r) => r.id === 'th-denied')).body.text)).toMatch(/Only members of `leads`/);
    expect(t.logs.some((l) => l.audit === 'acl_denied' && l.user === 'U0IDENT1' && l.action === 'threshold')).toBe(true);

    await send(slackCommandBody({ command: '/taser', text: 'threshold identity medium', userId: 'U0LEAD01', responseUrl: t.slack.responseUrl('th-ok') }));
    expect(String((await t.slack.waitForResponse((r) => r.id === 'th-ok')).body.text)).toMatch(/medium alerts and above/);
    expect(await t.taser.database.db.collection('plugin_alerts_thresholds').findOne({ _id: 'identity' as never })).toMatchObject({ severity: 'medium', by: 'U0LEAD01' });

    await ingest(t.taser, signal('risky_login', '2026-11-20T09:00:00Z', { username: 'bob' }));
    const bob = await alertOf(t.taser, 'risky-login', { username: 'bob' });
    expect((await posted(bob._id)).channel).toBe('C0IDENT');
  });

  it('the sweep posts the card of an alert whose creation event was lost (no delivery row)', async () => {
    await ingest(t.taser, signal('appsec_finding', '2026-11-20T11:00:00Z', { host: 'lost01' }, { tags: ['Team:AppSec'] }));
    const template = await alertOf(t.taser, 'appsec-finding', { host: 'lost01' });
    await posted(template._id);
    // The same alert as if its 'created' listener had failed before writing anything: stored, no delivery row.
    const lost = { ...template, _id: '0123456789abcdef01234567', group: { host: 'lost02' }, createdAt: new Date() };
    await t.taser.correlation.alerts.collection.insertOne(lost);
    expect(await card(lost._id)).toBeNull();
    await t.taser.jobs.port().now({ name: 'alerts.sweep' }, {});
    const d = await posted(lost._id);
    expect(d.channel).toBe('C0APPSEC');
  });

  it('says clearly, in the log and to the admins, when the bot is not in the channel', async () => {
    await ingest(t.taser, signal('nobot_event', '2026-11-20T09:00:00Z', { host: 'h1' }));
    const alert = await alertOf(t.taser, 'nobot', { host: 'h1' });
    const d = await waitUntil(async () => ((await card(alert._id))?.status === 'failed' ? card(alert._id) : null), 'the card failed');
    expect(d).toMatchObject({ lastError: 'not_in_channel', attempts: 1 });
    const line = t.logs.find((l) => l.alert === alert._id && l.level === 50);
    expect(String(line?.msg)).toMatch(/not a member of <#C0NOBOT>.*\/invite @taser/);
    const notice = await t.slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0ADMIN');
    expect(String(notice.args.text)).toContain(alert._id);
    expect(String(notice.args.text)).toMatch(/invite/);
  });

  it("honours a 429's Retry-After, then posts", async () => {
    t.slack.failNext('chat.postMessage', { kind: 'ratelimited', retryAfter: 1 });
    await ingest(t.taser, signal('appsec_finding', '2026-11-20T09:00:00Z', { host: 'web429' }, { tags: ['Team:AppSec'] }));
    const alert = await alertOf(t.taser, 'appsec-finding', { host: 'web429' });
    await posted(alert._id);
    const calls = t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0APPSEC');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(t.logs.some((l) => l.alert === alert._id && l.retryAfterSeconds === 1)).toBe(true);
  });

  it('retries 5xx with backoff, then marks the card failed: visible in /taser alerts and /metrics', async () => {
    t.slack.failNext('chat.postMessage', { kind: 'http', status: 500 }, 3);
    await ingest(t.taser, signal('flaky_event', '2026-11-20T09:00:00Z', { host: 'f1' }));
    const alert = await alertOf(t.taser, 'flaky', { host: 'f1' });
    const d = await waitUntil(async () => ((await card(alert._id))?.status === 'failed' ? card(alert._id) : null), 'the card failed');
    expect(d).toMatchObject({ attempts: 3, lastError: 'Slack answered HTTP 500' });
    expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0FLAKY')).toHaveLength(3);
    const notice = await t.slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0ADMIN');
    expect(String(notice.args.text)).toMatch(new RegExp(`${alert._id}.*HTTP 500.*3 attempts`));

    await send(slackCommandBody({ command: '/taser', text: 'alerts failed', userId: 'U0OUTSIDE', responseUrl: t.slack.responseUrl('failed') }));
    const list = String((await t.slack.waitForResponse((r) => r.id === 'failed')).body.text);
    expect(list).toMatch(/flaky.*card delivery failed: Slack answered HTTP 500/);
    expect(list).not.toMatch(/web01/);

    // A scrape reports the counts of the previous one's background refresh: scrape until it shows this card.
    const failedCards = /taser_alert_cards\{status="failed"\} [12]\n/; // this card (and the one of the channel without the bot)
    const metrics = await waitUntil(async () => {
      const text = await (await fetch(`${t.taser.url}/metrics`)).text();
      return failedCards.test(text) && text;
    }, 'the failed card counted in /metrics');
    expect(metrics).toMatch(/taser_alert_card_sends_total\{method="chat.postMessage",outcome="retry"\} 2/);
  });

  it('lists alerts with links to their cards, filtered by status, team and time', async () => {
    await send(slackCommandBody({ command: '/taser', text: 'alerts open appsec 30d', responseUrl: t.slack.responseUrl('list') }));
    const text = String((await t.slack.waitForResponse((r) => r.id === 'list')).body.text);
    const d = (await deliveriesOf(t.taser).findOne({ channel: 'C0APPSEC', status: 'posted', ts: { $exists: true } }, { sort: { createdAt: -1 } }))!;
    expect(text).toContain(`<https://slack.com/archives/C0APPSEC/p${d.ts!.replace('.', '')}|AppSec finding>`);
    expect(text).toMatch(/web429/);
    expect(text).not.toMatch(/closed/);
    await send(slackCommandBody({ command: '/taser', text: 'alerts sleeping?', responseUrl: t.slack.responseUrl('bad') }));
    expect(String((await t.slack.waitForResponse((r) => r.id === 'bad')).body.text)).toMatch(/is not a status/);
  });
});

describe('alert card outbox across a restart', () => {
  const uri = freshDbUri('alertsrestart');
  let slack: SlackFake;
  const running: Taser[] = [];

  async function start(): Promise<Taser> {
    const config: AppConfig = {
      slack: { botToken: TEST_BOT_TOKEN, signingSecret: TEST_SIGNING_SECRET, apiUrl: slack.apiUrl },
      mongodbUri: uri,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      dataDir: '/nonexistent',
      configDir: process.cwd(),
      file: fileConfigSchema.parse(fileConfig({ ...alertsSettings, maxAttempts: 50, retryBaseSeconds: 0.3 })),
      env: { TEST_SOURCE_SECRET: HMAC_SECRET },
    };
    const taser = await startTaser({ config, mode: 'http', logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), pluginDirs: [BUILTIN_PLUGINS_DIR, sources, providers], processEveryMs: 100 });
    running.push(taser);
    return taser;
  }

  beforeAll(async () => {
    slack = await startSlackFake({ token: TEST_BOT_TOKEN });
    seedSlack(slack);
  });
  afterAll(async () => {
    const last = running.at(-1);
    await last?.database.db.dropDatabase().catch(() => {});
    for (const taser of running) await taser.stop();
    await slack?.stop();
  });

  it('a card still pending when the process stops is posted, once, by the next process', async () => {
    slack.failNext('chat.postMessage', { kind: 'http', status: 503 }, 10_000);
    const first = await start();
    await ingest(first, signal('appsec_finding', '2026-11-20T09:00:00Z', { host: 'restart01' }, { tags: ['Team:AppSec'] }));
    const alert = await alertOf(first, 'appsec-finding', { host: 'restart01' });
    await waitUntil(async () => ((await deliveriesOf(first).findOne({ _id: alert._id }))?.attempts ?? 0) >= 2, 'two failed attempts');
    await first.stop();
    slack.reset(); // Slack is healthy again
    const second = await start();
    const pending = await waitUntil(async () => {
      const d = await deliveriesOf(second).findOne({ _id: alert._id });
      return d?.status === 'posted' ? d : null;
    }, 'the card posted by the second process');
    expect(pending.channel).toBe('C0APPSEC');
    expect(slack.messagesIn('C0APPSEC').filter((m) => m.ts === pending.ts)).toHaveLength(1);
    expect(slack.messagesIn('C0APPSEC')).toHaveLength(1);
  });
});
