// A whole taser for confirmation-flow tests: a signal source, rules with `confirm`, the confirmations,
// slack-profiles (USER_INFO, USER_MANAGER) and pagerduty (ONCALL_FOR_TEAM, pager) plugins, the Slack fake
// with the people involved, and the PagerDuty fake over real HTTP.
import { expect } from 'vitest';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startTestApp, TEST_BOT_TOKEN, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { startSlackFake, type SlackFake } from '../support/slack-fake.js';
import { blockActionsBody, sendSlackRequest, slackCommandBody } from '../support/slack-requests.js';
import { waitUntil } from '../support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { startPagerDutyFake, type PagerDutyFake } from '../../plugins/pagerduty/pagerduty-fake.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { StoredFlow } from '../../src/confirmations/model.js';

const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const HMAC_SECRET = 'hmac-secret-for-tests-0123456789';
export const PD_TOKEN = 'pd-rest-token';
export const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const MANAGER_FIELD = 'Xf0MANAGER';

export const PEOPLE = {
  alice: { id: 'U0ALICE01', name: 'alice', email: 'alice@example.com', profile: { fields: { [MANAGER_FIELD]: { value: 'U0BOB0001', alt: '' } } } },
  bob: { id: 'U0BOB0001', name: 'bob', email: 'bob@example.com' },
  carol: { id: 'U0CAROL01', name: 'carol', email: 'carol@example.com' },
  dave: { id: 'U0DAVE001', name: 'dave', email: 'dave@example.com' }, // no manager field
  mallory: { id: 'U0MALLORY', name: 'mallory', email: 'mallory@example.com' },
  soc: { id: 'U0SOC0001', name: 'soc', email: 'soc@example.com' },
};

// Answers need time on a loaded machine (a minute); silence is tested with rules of two seconds.
const confirm = { field: 'email', timeout: '60s', managerTimeout: '60s' };
const quick = { field: 'email', timeout: '2s', managerTimeout: '2s' };
export const RULES = [
  { id: 'silent-country', name: 'Silent login from a new country', severity: 'critical', team: 'identity', parts: [{ match: { type: 'silent_critical' }, count: 1 }], window: '1h', groupBy: ['email', 'src_ip'], confirm: quick },
  { id: 'silent-device', name: 'Silent login from a new device', severity: 'medium', team: 'identity', parts: [{ match: { type: 'silent_medium' }, count: 1 }], window: '1h', groupBy: ['email', 'src_ip'], confirm: { ...quick, managerTimeout: '60s' } },
  // critical: the on-call step pages; Yes closes the case as benign
  { id: 'new-country', name: 'Login from a new country', severity: 'critical', team: 'identity', parts: [{ match: { type: 'login_new_country' }, count: 1 }], window: '1h', groupBy: ['email', 'src_ip'], confirm: { ...confirm, onYes: 'close' } },
  // medium: no page; Yes keeps the case for an analyst
  { id: 'new-device', name: 'Login from a new device', severity: 'medium', team: 'identity', parts: [{ match: { type: 'login_new_device' }, count: 1 }], window: '1h', groupBy: ['email', 'src_ip'], confirm: { ...confirm, onYes: 'keep' } },
  // no confirm: only the Ask user button or /case confirm start a flow
  { id: 'plain', name: 'Odd login', severity: 'high', team: 'identity', parts: [{ match: { type: 'odd_login' }, count: 1 }], window: '1h', groupBy: ['email', 'src_ip'] },
];

export interface FlowApp {
  t: TestApp;
  pd: PagerDutyFake;
  slack: SlackFake;
  dbUri?: string;
}

export async function startPeople(): Promise<SlackFake> {
  const slack = await startSlackFake({ token: TEST_BOT_TOKEN });
  for (const id of ['C0DEFAULT', 'C0ADMIN', 'C0IDENTITY']) slack.addChannel({ id, name: id.toLowerCase() });
  for (const p of Object.values(PEOPLE)) slack.addUser(p);
  return slack;
}

export async function startPd(): Promise<PagerDutyFake> {
  const pd = await startPagerDutyFake({ token: PD_TOKEN });
  pd.users.set('PCAROL1', { id: 'PCAROL1', name: 'Carol', email: 'carol@example.com' });
  pd.oncalls.push({ userId: 'PCAROL1', escalationPolicyId: 'PEP0001', escalationLevel: 1, schedule: null, start: null, end: null });
  return pd;
}

export async function startFlowApp(options: { slack: SlackFake; pd: PagerDutyFake; mongodbUri?: string; keepDatabase?: boolean }): Promise<TestApp> {
  return startTestApp({
    slack: options.slack,
    pluginDirs: [BUILTIN_PLUGINS_DIR, sources],
    file: {
      plugins: {
        passthrough: { enabled: true },
        alerts: { teams: { identity: { group: 'soc' } }, updateIntervalSeconds: 3600 },
        'slack-profiles': { enabled: true, managerField: MANAGER_FIELD },
        pagerduty: { enabled: true, apiUrl: options.pd.url, eventsUrl: options.pd.url, tokenEnv: 'PD_TOKEN', routingKeyEnv: 'PD_ROUTING_KEY', teams: { identity: 'PEP0001' } },
      },
      sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
      rules: RULES,
      channels: { default: 'C0DEFAULT', admin: 'C0ADMIN', teams: { identity: 'C0IDENTITY' } },
      groups: { soc: { users: [PEOPLE.soc.id] }, admins: { users: [PEOPLE.soc.id] } },
      cases: { soc: ['soc'], admins: ['admins'], caseUrl: 'https://soc.example.com/cases/{number}' },
      apiKeys: { soc: { keyEnv: 'SOC_KEY', groups: ['soc'] }, reader: { keyEnv: 'READ_KEY', groups: [] } },
      // Retries are the page outbox's, visible, not the HTTP client's.
      http: { retries: 0, timeoutMs: 3000 },
      confirmations: { defaults: { timeout: '60s', managerTimeout: '60s' }, pageRetry: { firstDelayMs: 200, maxDelayMs: 1000, maxAttempts: 30 } },
    },
    env: { TEST_SOURCE_SECRET: HMAC_SECRET, PD_TOKEN, PD_ROUTING_KEY: ROUTING_KEY, SOC_KEY: 'soc-key-0123456789', READ_KEY: 'read-key-0123456789' },
    ...(options.mongodbUri ? { mongodbUri: options.mongodbUri } : {}),
    ...(options.keepDatabase ? { keepDatabase: true } : {}),
  });
}

let seq = 0;
/** Posts one signal through POST /signals/test and returns its alert. */
export async function signal(t: TestApp, type: string, artifacts: Record<string, unknown>): Promise<StoredAlert> {
  const id = `s${++seq}-${Date.now()}`;
  const body = JSON.stringify({ id, type, occurredAt: new Date().toISOString(), tags: ['Team:Identity'], artifacts });
  const at = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', HMAC_SECRET).update(`${at}.${body}`).digest('hex');
  // The embedded database answers busy under load (503, retry is safe): try again, as a sender would.
  let status = 0;
  for (let attempt = 0; attempt < 10 && status !== 202; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 1000));
    const res = await fetch(`${t.taser.url}/signals/test`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) }, body });
    status = res.status;
    await res.body?.cancel();
  }
  expect(status).toBe(202);
  // Rules group by (email, src_ip): each test's signal has its own source IP, so its own alert.
  return waitUntil(() => t.taser.correlation.alerts.collection.findOne({ signals: `test/${id}` }), `the alert of ${type}`, 30_000);
}

export const flowOf = (t: TestApp, alertId: string, timeoutMs = 30_000) => waitUntil(() => t.taser.confirmations.store.flows.findOne({ alertId }), 'the flow of the alert', timeoutMs);
export const flowIn = (t: TestApp, id: string, state: StoredFlow['state'], timeoutMs = 30_000) =>
  waitUntil(async () => {
    const f = await t.taser.confirmations.store.get(id);
    return f?.state === state ? f : null;
  }, `flow ${id} in state ${state}`, timeoutMs);

type Button = { action_id: string; value?: string; text?: { text: string } };
export const buttonsOf = (message: { blocks?: unknown } | undefined): Button[] =>
  ((message?.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);

/** The DM to a user that holds a flow's buttons. */
export async function dmOf(t: TestApp, userId: string, flowId: string, timeoutMs = 30_000) {
  const dm = await waitUntil(() => t.slack.messagesIn(`D${userId.slice(1)}`).find((m) => buttonsOf(m).some((b) => b.value?.includes(flowId))), `the DM to ${userId} for ${flowId}`, timeoutMs);
  // A snapshot: the fake updates its stored message in place when taser replaces the buttons.
  return structuredClone(dm);
}

let clicks = 0;
/** Clicks the button with this answer in a DM, as `userId`; returns the ephemeral answer. */
export async function click(t: TestApp, userId: string, dm: { ts: string; blocks?: unknown }, answer: string, channel: string) {
  const button = buttonsOf(dm).find((b) => b.action_id.endsWith(`:${answer}`));
  if (!button) throw new Error(`no ${answer} button in ${JSON.stringify(dm.blocks)}`);
  const id = `click-${++clicks}`;
  const res = await sendSlackRequest(t.slackUrl, blockActionsBody({ actionId: button.action_id, value: button.value, userId, channelId: channel, messageTs: dm.ts, responseUrl: t.slack.responseUrl(id), triggerId: `trig-${id}` }), { secret: TEST_SIGNING_SECRET });
  expect(res.status).toBe(200);
  return (await t.slack.waitForResponse((r) => r.id === id, 20_000)).body as { text: string; response_type?: string };
}

let commands = 0;
export async function command(t: TestApp, text: string, userId: string) {
  const id = `cmd-${++commands}`;
  await sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/case', text, userId, channelId: 'C0IDENTITY', responseUrl: t.slack.responseUrl(id) }), { secret: TEST_SIGNING_SECRET });
  return (await t.slack.waitForResponse((r) => r.id === id, 20_000)).body as { text: string };
}

export const caseEvents = (t: TestApp, caseId: string) => t.taser.cases.store.events.find({ caseId }).sort({ seq: 1 }).toArray();
