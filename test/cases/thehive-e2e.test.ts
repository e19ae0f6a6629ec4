// Cases mirrored to TheHive, end to end: the real thehive plugin over HTTP to the TheHive fake (5 and 4), the
// case service and its outbox on the real database, Slack through the real receiver and the Slack fake.
// alert -> Create case -> modal -> case in taser and in TheHive with the alert's observables -> card with the
// TheHive link; then TheHive down (and a create whose answer was lost) while a case is created, taser
// restarted, TheHive back: exactly one TheHive case with every observable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { testMongoUri } from '../support/db.js';
import { blockActionsBody, sendSlackRequest, viewSubmissionBody } from '../support/slack-requests.js';
import { waitUntil } from '../support/wait.js';
import { startTheHiveFake, type TheHiveFake } from '../../plugins/thehive/thehive-fake.js';
import { alertWithCard, buttonsOf, casesFileConfig, startCasesApp } from './slack-app.js';

const KEY_ENV = 'THEHIVE_TEST_KEY';
const API_KEY = 'case-api-key-0123456789abcdef';

describe.each([5, 4] as const)('cases mirrored to TheHive %i', (version) => {
  let fake: TheHiveFake;
  let t: TestApp;

  const start = (extra: { mongodbUri?: string; slack?: TestApp['slack'] } = {}) =>
    startCasesApp({
      ...extra,
      keepDatabase: true,
      file: {
        plugins: { ...casesFileConfig.plugins, thehive: { enabled: true, version, url: fake.url, organisation: 'SOC', apiKeyEnv: KEY_ENV, timeoutMs: 1_000 } },
        cases: { ...casesFileConfig.cases, retryBaseSeconds: 0.5 },
        apiKeys: { soc: { keyEnv: 'CASE_API_KEY', groups: ['soc'] } },
      },
      env: { [KEY_ENV]: fake.apiKey, CASE_API_KEY: API_KEY },
    });
  const synced = async (number: number) => {
    try {
      return await waitUntil(async () => {
        const c = await t.taser.cases.store.getByNumber(number);
        return c?.backend.sync === 'synced' ? c : null;
      }, `case #${number} synced to TheHive`, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; its backend state: ${JSON.stringify((await t.taser.cases.store.getByNumber(number))?.backend)}`);
    }
  };
  const theHiveCasesOf = (caseId: string) => fake.cases().filter((c) => (c.tags as string[]).includes(`taser:case:${caseId}`));
  const observablesOf = (theHiveId: string) => fake.observables(theHiveId).map((o) => `${String(o.dataType)}:${String(o.data)}`).sort();

  beforeAll(async () => {
    fake = await startTheHiveFake({ version });
    t = await start();
  });
  afterAll(async () => {
    await t?.taser.database.db.dropDatabase().catch(() => {});
    await t?.stop();
    await t?.slack.stop();
    await fake?.stop();
  });

  it('alert -> Create case -> modal -> case in TheHive with the observables -> the card shows the TheHive link', async () => {
    const where = await alertWithCard(t, 'web01', { src_ip: '10.1.2.3', user: 'alice', domain: 'evil.example' });
    const button = buttonsOf(t.slack.messagesIn(where.channel).find((m) => m.ts === where.ts)).find((b) => b.action_id === 'cases:create-from-alert')!;
    const send = (body: Parameters<typeof sendSlackRequest>[1]) => sendSlackRequest(t.slackUrl, body, { secret: TEST_SIGNING_SECRET });
    await send(blockActionsBody({ actionId: button.action_id, value: button.value, userId: 'U0APPSEC1', channelId: where.channel, messageTs: where.ts, responseUrl: t.slack.responseUrl('c'), triggerId: 'trig-th' }));
    const view = (await t.slack.waitForCall('views.open', (c) => c.args.trigger_id === 'trig-th', 20_000)).args.view as { callback_id: string; private_metadata: string };
    await send(viewSubmissionBody({
      userId: 'U0APPSEC1', callbackId: view.callback_id, privateMetadata: view.private_metadata,
      values: { title: { value: { type: 'plain_text_input', value: 'Evil domain on web01' } }, severity: { value: { type: 'static_select', selected_option: { value: 'critical' } } }, team: { value: { type: 'plain_text_input', value: 'appsec' } } },
    }));
    // Usable in Slack at once: the thread reply does not wait for TheHive.
    await t.slack.waitForCall('chat.postMessage', (m) => m.args.thread_ts === where.ts && String(m.args.text).includes('Case #1'), 20_000);

    const c = await synced(1);
    const [mirrored] = theHiveCasesOf(c._id);
    expect(mirrored).toMatchObject({ title: 'Evil domain on web01', severity: 4 });
    expect(mirrored!.tags).toEqual(expect.arrayContaining(['Team:appsec', `taser:case:${c._id}`]));
    expect(c.backend).toMatchObject({ name: 'thehive', id: mirrored!._id, sync: 'synced' });
    expect(c.backend.url).toMatch(/^http/);
    expect(observablesOf(String(mirrored!._id))).toEqual(['domain:evil.example', 'hostname:web01', 'ip:10.1.2.3', 'other:alice']);
    // The card names the case with its TheHive link.
    await waitUntil(() => JSON.stringify(t.slack.messagesIn(where.channel).find((m) => m.ts === where.ts)?.blocks ?? '').includes(c.backend.url!), 'the card showing the TheHive link');
    // Closing in taser closes in TheHive.
    await t.taser.cases.service.close({ actor: 'U0LEAD01', isMember: async () => true }, 1, { resolution: 'true_positive', summary: 'blocked' });
    await synced(1);
    const closed = theHiveCasesOf(c._id)[0]!;
    expect(version === 5 ? closed.status : closed.resolutionStatus).toBe('TruePositive');
  }, 150_000);

  it('TheHive down (after a create whose answer was lost) while a case is created, taser restarted, TheHive back: one TheHive case with every observable', async () => {
    const where = await alertWithCard(t, 'web02', { src_ip: '192.0.2.7', md5: 'd41d8cd98f00b204e9800998ecf8427e', user: 'bob' });
    // The first create reaches TheHive, but its answer is lost; then TheHive goes down.
    fake.failNext(1, { drop: true, process: true }, { method: 'POST', path: '/api/v1/case' });
    const res = await fetch(`${t.taser.url}/api/v1/cases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Odd login for bob', severity: 'high', team: 'appsec', alertIds: [where.alert._id] }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; number: number; backend: { name: string; sync: string } };
    expect(created.backend).toEqual({ name: 'thehive', sync: 'pending' });
    await waitUntil(async () => (await t.taser.cases.store.get(created.id))?.backend.attempts, 'the lost answer counted as a failed attempt');
    await fake.down();

    const dbName = t.taser.database.db.databaseName;
    const slack = t.slack;
    await t.taser.stop();
    const uri = new URL(testMongoUri());
    uri.pathname = `/${dbName}`;
    t = await start({ mongodbUri: uri.toString(), slack });
    await new Promise((r) => setTimeout(r, 1_500)); // attempts against a TheHive that is down
    expect((await t.taser.cases.store.get(created.id))!.backend.sync).toBe('pending');
    await fake.up();

    const c = await synced(created.number);
    const copies = theHiveCasesOf(created.id);
    expect(copies).toHaveLength(1);
    expect(c.backend.id).toBe(copies[0]!._id);
    expect(observablesOf(String(copies[0]!._id))).toEqual(['hash:d41d8cd98f00b204e9800998ecf8427e', 'hostname:web02', 'ip:192.0.2.7', 'other:bob']);
    const shown = await fetch(`${t.taser.url}/api/v1/cases/${created.number}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(await shown.json()).toMatchObject({ number: created.number, backend: { name: 'thehive', id: copies[0]!._id, sync: 'synced' } });
  }, 150_000);
});

