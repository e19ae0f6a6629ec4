// A whole taser for case tests: the alerts and cases plugins, a signal source, the `cases` ACL, and a Slack
// fake with the channels and users the tests act as; plus an alert with its card, made through the real route.
import { expect } from 'vitest';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startTestApp, TEST_BOT_TOKEN, type TestApp } from '../support/app.js';
import { startSlackFake, type SlackFake } from '../support/slack-fake.js';
import { waitUntil } from '../support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';

const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const HMAC_SECRET = 'hmac-secret-for-tests-0123456789';

export const casesFileConfig = {
  plugins: { passthrough: { enabled: true }, alerts: { teams: { appsec: { group: 'appsec', leads: 'leads' } }, updateIntervalSeconds: 3600 } },
  sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
  rules: [{ id: 'appsec-finding', name: 'AppSec finding', severity: 'medium', parts: [{ match: { type: 'appsec_finding' }, count: 1 }], window: '1h', groupBy: ['host'] }],
  channels: { default: 'C0DEFAULT', admin: 'C0ADMIN', teams: { appsec: 'C0APPSEC' } },
  groups: { appsec: { users: ['U0APPSEC1'] }, leads: { users: ['U0LEAD01'] }, soc: { users: ['U0SOC001'] }, admins: { users: ['U0ADMIN1'] } },
  cases: { soc: ['soc'], admins: ['admins'], teams: { appsec: { members: ['appsec'], leads: ['leads'] } }, caseUrl: 'https://soc.example.com/cases/{number}' },
};

let seq = 0;
/** Posts one signal through POST /signals/test and returns its alert once the card is posted. */
export async function alertWithCard(t: TestApp, host: string, artifacts: Record<string, unknown>): Promise<{ alert: StoredAlert; channel: string; ts: string }> {
  const body = JSON.stringify({ id: `s${++seq}-${host}`, type: 'appsec_finding', occurredAt: new Date().toISOString(), tags: ['Team:AppSec'], artifacts: { host, ...artifacts } });
  const at = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', HMAC_SECRET).update(`${at}.${body}`).digest('hex');
  const res = await fetch(`${t.taser.url}/signals/test`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) }, body });
  expect(res.status).toBe(202);
  const alert = await waitUntil(() => t.taser.correlation.alerts.collection.findOne({ ruleId: 'appsec-finding', group: { host } }), `the alert of ${host}`, 30_000);
  const card = await waitUntil(async () => {
    const d = await t.taser.database.db.collection<{ _id: string; status: string; channel: string; ts: string }>('plugin_alerts_deliveries').findOne({ _id: alert._id });
    return d?.status === 'posted' ? d : null;
  }, `the card of ${host}`, 30_000);
  return { alert, channel: card.channel, ts: card.ts };
}

type Button = { action_id: string; value?: string };
export const buttonsOf = (message: { blocks?: unknown } | undefined): Button[] =>
  ((message?.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);

export async function startCasesApp(
  extra: { env?: Record<string, string>; file?: Record<string, unknown>; pluginDirs?: string[]; mongodbUri?: string; keepDatabase?: boolean; slack?: SlackFake } = {},
): Promise<TestApp> {
  let slack = extra.slack;
  if (!slack) {
    slack = await startSlackFake({ token: TEST_BOT_TOKEN });
    for (const id of ['C0DEFAULT', 'C0ADMIN', 'C0APPSEC']) slack.addChannel({ id, name: id.toLowerCase() });
    for (const id of ['U0APPSEC1', 'U0LEAD01', 'U0SOC001', 'U0ADMIN1', 'U0OUTSIDE']) slack.addUser({ id, name: id.toLowerCase() });
  }
  return startTestApp({
    slack,
    pluginDirs: [BUILTIN_PLUGINS_DIR, sources, ...(extra.pluginDirs ?? [])],
    file: { ...casesFileConfig, ...extra.file },
    env: { TEST_SOURCE_SECRET: HMAC_SECRET, ...extra.env },
    ...(extra.mongodbUri ? { mongodbUri: extra.mongodbUri } : {}),
    ...(extra.keepDatabase ? { keepDatabase: true } : {}),
  });
}
