// Case channels end to end: the real receiver with signed requests, the Slack fake, the real database, and
// the thehive plugin over HTTP to the TheHive fake. Channels opened from the API, the Open channel button and
// `/case channel`; their messages (a thread reply, an edit, a deletion, a file share) logged in order as case
// events and as TheHive task logs of the channel's own task; a Slack retry logged once; a channel that is not
// a case's not logged; taser down while people talk, then restarted: backfilled, nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { testMongoUri } from '../support/db.js';
import { blockActionsBody, sendSlackRequest, slackCommandBody } from '../support/slack-requests.js';
import { deliverEvent, talk } from '../support/slack-fake-channels.js';
import { waitUntil } from '../support/wait.js';
import { startTheHiveFake, type TheHiveFake } from '../../plugins/thehive/thehive-fake.js';
import type { CaseEvent, CaseEventData } from '../../src/cases/model.js';
import { casesFileConfig, startCasesApp } from './slack-app.js';

const KEY_ENV = 'THEHIVE_TEST_KEY';
const API_KEY = 'case-api-key-0123456789abcdef';
type Entry = CaseEventData['channel_message'];

describe.each([5, 4] as const)('case channels with TheHive %i', { timeout: 120_000 }, (version) => {
  let fake: TheHiveFake;
  let t: TestApp;
  let caseId: string;
  const opened: { id: string; name: string }[] = [];

  const start = (extra: { mongodbUri?: string; slack?: TestApp['slack'] } = {}) =>
    startCasesApp({
      ...extra,
      keepDatabase: true,
      file: {
        plugins: { ...casesFileConfig.plugins, thehive: { enabled: true, version, url: fake.url, organisation: 'SOC', apiKeyEnv: KEY_ENV, timeoutMs: 2_000 } },
        // U0GONE01 is no Slack user: its invitation fails, and is reported.
        groups: { ...casesFileConfig.groups, appsec: { users: ['U0APPSEC1', 'U0GONE01'] } },
        cases: { ...casesFileConfig.cases, retryBaseSeconds: 0.5 },
        apiKeys: { soc: { keyEnv: 'CASE_API_KEY', groups: ['soc'] } },
      },
      env: { [KEY_ENV]: fake.apiKey, CASE_API_KEY: API_KEY },
    });
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${t.taser.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const send = (event: Record<string, unknown>, options: { eventId?: string; retryNum?: number } = {}) => deliverEvent(t.slackUrl, TEST_SIGNING_SECRET, event, options);
  const logOf = async (channel: string): Promise<Entry[]> =>
    ((await t.taser.cases.store.events.find({ caseId, kind: 'channel_message' }).sort({ seq: 1 }).toArray()) as CaseEvent<'channel_message'>[]).map((e) => e.data).filter((d) => d.channel === channel);
  const userLog = async (channel: string) => (await logOf(channel)).filter((e) => e.user && e.user !== t.slack.botUserId);
  const waitLog = (channel: string, n: number, what: string) => waitUntil(async () => ((await userLog(channel)).length >= n ? userLog(channel) : null), what, 30_000);
  const taskLogs = (channelName: string) => {
    const theHiveCase = fake.cases().find((c) => (c.tags as string[]).includes(`taser:case:${caseId}`));
    if (!theHiveCase) return [];
    const task = fake.tasks(String(theHiveCase._id)).find((x) => x.title === `Slack #${channelName}` && x.group === 'slack');
    return task ? fake.logs(String(task._id)).map((l) => String(l.message)) : [];
  };

  beforeAll(async () => {
    fake = await startTheHiveFake({ version });
    t = await start();
    const created = await api('/api/v1/cases', { title: 'Phishing: CEO wire-transfer request!', severity: 'high', team: 'appsec', assignee: 'U0SOC001' });
    expect(created.status).toBe(201);
    caseId = created.body.id;
  });
  afterAll(async () => {
    await t?.taser.database.db.dropDatabase().catch(() => {});
    await t?.stop();
    await t?.slack.stop();
    await fake?.stop();
  });

  it('opens a channel from the API: named from the case, its people invited, the one who cannot be reported, summary pinned', async () => {
    expect((await api(`/api/v1/cases/1/channels`, { name: 'Bad Name' })).status).toBe(400);
    expect((await api(`/api/v1/cases/1/channels`, { private: 'yes' })).body.problems[0].field).toBe('private');
    expect((await api(`/api/v1/cases/999/channels`, {})).status).toBe(404);

    const res = await api(`/api/v1/cases/1/channels`, {});
    expect(res.status).toBe(201);
    opened.push(res.body.channel);
    expect(res.body).toMatchObject({ channel: { id: expect.stringMatching(/^C/), name: 'case-1-phishing-ceo-wire-transfer-request', private: false }, problems: [] });
    expect(res.body.invited.sort()).toEqual(['U0APPSEC1', 'U0LEAD01', 'U0SOC001']);
    expect(res.body.failedInvites).toEqual([{ user: 'U0GONE01', error: 'user_not_found' }]);
    const ch = t.slack.channels.get(res.body.channel.id)!;
    expect(ch.members.sort()).toEqual(['U0APPSEC1', 'U0LEAD01', 'U0SOC001', t.slack.botUserId].sort());
    expect(ch).toMatchObject({ topic: 'Case #1: Phishing: CEO wire-transfer request! (high)', purpose: expect.stringMatching(/^Work on case #1: https?:\/\/\S+\. Every message here is logged on the case\.$/) });
    expect(ch.messages.find((m) => m.pinned)?.text).toContain('Case #1');
    const event = await t.taser.cases.store.events.findOne({ caseId, kind: 'channel_opened' });
    expect(event).toMatchObject({ actor: 'api:soc', data: { channel: res.body.channel.id, name: res.body.channel.name, private: false, requestedBy: 'api:soc' } });
  });

  it('opens another channel with each press of Open channel (a taken name gets the next suffix), and a private one from /case channel', async () => {
    t.slack.addChannel({ id: 'C0TAKEN02', name: 'case-1-phishing-ceo-wire-transfer-request-2' });
    const show = t.slack.responseUrl('show');
    await sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/case', text: 'show 1', userId: 'U0APPSEC1', responseUrl: show }), { secret: TEST_SIGNING_SECRET });
    const shown = await t.slack.waitForResponse((r) => r.id === 'show');
    const button = (shown.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'cases:open-channel')!;
    expect(button).toBeDefined();
    await sendSlackRequest(t.slackUrl, blockActionsBody({ actionId: button.action_id, value: button.value, userId: 'U0APPSEC1', responseUrl: t.slack.responseUrl('press'), triggerId: 'press-1' }), { secret: TEST_SIGNING_SECRET });
    const answer = await t.slack.waitForResponse((r) => r.id === 'press', 15_000);
    expect(String(answer.body.text)).toMatch(/^Opened <#C\w+\|case-1-phishing-ceo-wire-transfer-request-3> for case #1/);
    expect(String(answer.body.text)).toContain('Could not invite <@U0GONE01> (user_not_found)');
    const second = (await t.taser.cases.channels!.forCase(caseId)).at(-1)!;
    expect(second).toMatchObject({ name: 'case-1-phishing-ceo-wire-transfer-request-3', createdBy: 'U0APPSEC1', private: false });
    opened.push({ id: second._id, name: second.name });

    // Someone outside the case's team and the SOC is refused, and no channel is made.
    await sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/case', text: 'channel 1', userId: 'U0OUTSIDE', responseUrl: t.slack.responseUrl('refused'), triggerId: 'refused-1' }), { secret: TEST_SIGNING_SECRET });
    expect(String((await t.slack.waitForResponse((r) => r.id === 'refused', 15_000)).body.text)).toMatch(/^You may not .*case #1/);
    expect(await t.taser.cases.channels!.forCase(caseId)).toHaveLength(2);

    await sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/case', text: 'channel 1 private', userId: 'U0SOC001', responseUrl: t.slack.responseUrl('cmd'), triggerId: 'cmd-1' }), { secret: TEST_SIGNING_SECRET });
    const cmd = await t.slack.waitForResponse((r) => r.id === 'cmd', 15_000);
    expect(String(cmd.body.text)).toMatch(/^Opened <#G\w+\|case-1-phishing-ceo-wire-transfer-request-4> \(private\)/);
    expect((await t.taser.cases.channels!.forCase(caseId)).map((c) => c.private)).toEqual([false, false, true]);
    expect(await t.taser.cases.store.events.countDocuments({ caseId, kind: 'channel_opened' })).toBe(3);
  });

  it('logs messages, a thread reply, an edit, a deletion and a file share in order, each channel in its own TheHive task', async () => {
    const [a, b] = opened as [{ id: string; name: string }, { id: string; name: string }];
    // Slack delivers events about in order but not strictly: each is sent once the one before is logged.
    let n = 0;
    const sendLogged = async (channel: string, event: Record<string, unknown>) => {
      await send(event);
      if (channel === a.id) await waitLog(a.id, ++n, `entry ${n}`);
    };
    const first = talk.message(t.slack, a.id, 'U0APPSEC1', 'The mail came from evil.example');
    await sendLogged(a.id, first);
    await sendLogged(b.id, talk.message(t.slack, b.id, 'U0LEAD01', 'Second channel, own folder'));
    const reply = talk.message(t.slack, a.id, 'U0SOC001', 'Blocking the domain', { threadTs: String(first.ts) });
    await sendLogged(a.id, reply);
    await sendLogged(a.id, talk.edit(t.slack, a.id, String(first.ts), 'The mail came from evil.example (and evil.test)'));
    await sendLogged(a.id, talk.delete(t.slack, a.id, String(reply.ts)));
    await sendLogged(a.id, talk.file(t.slack, a.id, 'U0APPSEC1', 'headers.eml'));

    const log = await waitLog(a.id, 5, 'five entries in the first channel');
    expect(log.map((e) => [e.kind, e.user, e.text])).toEqual([
      ['message', 'U0APPSEC1', 'The mail came from evil.example'],
      ['message', 'U0SOC001', 'Blocking the domain'],
      ['edit', 'U0APPSEC1', 'The mail came from evil.example (and evil.test)'],
      ['delete', 'U0SOC001', 'Blocking the domain'],
      ['message', 'U0APPSEC1', ''],
    ]);
    expect(log[0]).toMatchObject({ userName: 'u0appsec1', channelName: a.name, ts: first.ts, source: 'event' });
    expect(log[1]!.threadTs).toBe(first.ts);
    expect(log[2]!.messageTs).toBe(first.ts);
    expect(log[3]!.messageTs).toBe(reply.ts);
    expect(log[4]).toMatchObject({ subtype: 'file_share', files: [{ name: 'headers.eml', permalink: expect.stringContaining('/headers.eml') }] });
    expect((await waitLog(b.id, 1, 'the second channel')).map((e) => e.text)).toEqual(['Second channel, own folder']);
    // taser's own pinned summary is logged too (read back: Bolt does not deliver the app's own messages).
    await waitUntil(async () => (await logOf(a.id)).some((e) => e.user === t.slack.botUserId && e.text.includes('Case #1')), 'the summary logged');

    const logsA = await waitUntil(() => {
      const l = taskLogs(a.name).filter((m) => !m.includes('Case #1'));
      return l.length >= 5 ? l : null;
    }, 'five task logs in TheHive', 30_000);
    expect(logsA[0]).toMatch(/^\*\*u0appsec1 \(U0APPSEC1\)\*\* at .*:\nThe mail came from evil\.example$/);
    expect(logsA[1]).toContain(`in thread ${String(first.ts)}`);
    expect(logsA[2]).toContain(`edited message ${String(first.ts)}`);
    expect(logsA[3]).toContain(`deleted message ${String(reply.ts)}`);
    expect(logsA[4]).toContain('📎 headers.eml: https://');
    expect(taskLogs(b.name).filter((m) => !m.includes('Case #1'))).toEqual([expect.stringContaining('Second channel, own folder')]);
  });

  it('logs an event Slack delivers twice once, and nothing from a channel that is not a case channel', async () => {
    const [a] = opened as [{ id: string; name: string }];
    const before = (await userLog(a.id)).length;
    const retried = talk.message(t.slack, a.id, 'U0LEAD01', 'said once');
    await send(retried, { eventId: 'EvRETRY0001' });
    await send(retried, { eventId: 'EvRETRY0001', retryNum: 1 });
    // Another event id for the same message (an event lost and re-sent): the ledger still logs it once.
    await send(retried, { eventId: 'EvRETRY0002' });
    t.slack.addChannel({ id: 'C0RANDOM1', name: 'random' });
    await send(talk.message(t.slack, 'C0RANDOM1', 'U0LEAD01', 'not a case channel'));
    await send(talk.message(t.slack, a.id, 'U0LEAD01', 'barrier'));
    const log = await waitLog(a.id, before + 2, 'the barrier message');
    expect(log.filter((e) => e.text === 'said once')).toHaveLength(1);
    expect(await t.taser.database.db.collection('case_channel_ledger').countDocuments({ channel: 'C0RANDOM1' })).toBe(0);
    expect(await t.taser.cases.store.events.countDocuments({ 'data.channel': 'C0RANDOM1' })).toBe(0);
  });

  it('repairs a claim whose claimer died: appended once when its event is missing, only marked when it exists', async () => {
    const [a] = opened as [{ id: string; name: string }];
    const ledger = t.taser.database.db.collection<Record<string, unknown>>('case_channel_ledger');
    const entry = (ts: string, text: string): Entry => ({ key: `${a.id}:${ts}:message`, channel: a.id, channelName: a.name, kind: 'message', ts, user: 'U0LEAD01', userName: 'u0lead01', text, source: 'event' });
    const long = new Date(Date.now() - 10 * 60_000);
    // Died after the claim, before the case event.
    const lost = entry('1700000001.000001', 'claimed, never appended');
    await ledger.insertOne({ _id: lost.key as never, caseId, channel: a.id, state: 'claimed', claimedAt: long, entry: lost });
    // Died after the case event, before marking the claim.
    const done = entry('1700000001.000002', 'appended, never marked');
    const event = await t.taser.cases.service.appendLog(caseId, 'U0LEAD01', 'channel_message', done);
    await ledger.insertOne({ _id: done.key as never, caseId, channel: a.id, state: 'claimed', claimedAt: long, entry: done });

    expect(await t.taser.cases.channels!.log.repair()).toBe(2);
    const texts = (await logOf(a.id)).map((e) => e.text);
    expect(texts.filter((x) => x === 'claimed, never appended')).toHaveLength(1);
    expect(texts.filter((x) => x === 'appended, never marked')).toHaveLength(1);
    expect(await ledger.findOne({ _id: done.key as never })).toMatchObject({ state: 'logged', seq: event.seq });
    expect(await ledger.countDocuments({ channel: a.id, state: 'claimed' })).toBe(0);
    expect(await t.taser.cases.channels!.log.repair()).toBe(0);
  });

  it('backfills what was said while taser was down, without logging anything twice', async () => {
    const [a] = opened as [{ id: string; name: string }];
    const root = (await userLog(a.id))[0]!;
    const before = await userLog(a.id);
    const dbName = t.taser.database.db.databaseName;
    const slack = t.slack;
    await t.taser.stop();

    talk.message(slack, a.id, 'U0APPSEC1', 'while down 1');
    talk.message(slack, a.id, 'U0SOC001', 'a late reply in the old thread', { threadTs: root.ts });
    const down2 = talk.message(slack, a.id, 'U0LEAD01', 'while down 2');
    talk.edit(slack, a.id, String(down2.ts), 'while down 2, edited');
    // Slack is slow to answer once: the client waits its Retry-After and carries on.
    slack.failNext('conversations.history', { kind: 'ratelimited', retryAfter: 1 });

    const uri = new URL(testMongoUri());
    uri.pathname = `/${dbName}`;
    t = await start({ mongodbUri: uri.toString(), slack });
    const log = await waitLog(a.id, before.length + 4, 'the backfill');
    const added = log.slice(before.length);
    expect(added.map((e) => [e.kind, e.text, e.source])).toEqual([
      ['message', 'while down 1', 'backfill'],
      ['message', 'a late reply in the old thread', 'backfill'],
      ['message', 'while down 2, edited', 'backfill'],
      ['edit', 'while down 2, edited', 'backfill'],
    ]);
    expect(added[1]!.threadTs).toBe(root.ts);
    // Everything logged before is there once, nothing new from it.
    expect(log.slice(0, before.length)).toEqual(before);
    const keys = (await logOf(a.id)).map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);

    // A second run reads the same history again and logs nothing.
    expect((await t.taser.cases.channels!.backfillAll()).logged).toBe(0);
    expect((await logOf(a.id)).length).toBe(keys.length);
    await waitUntil(() => taskLogs(a.name).some((m) => m.includes('a late reply in the old thread')), 'the backfilled messages in TheHive', 30_000);
    expect(taskLogs(a.name).filter((m) => m.includes('while down 1'))).toHaveLength(1);
  });
});
