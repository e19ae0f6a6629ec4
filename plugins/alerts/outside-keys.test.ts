// Outside data never picks an object's prototype (issue 10.3): a signal tagged `Team:__proto__` or
// `Team:constructor` gets its card in the default channel, through the real webhook route, the live
// correlator, this plugin's outbox on the real database and the Slack fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { postSignals } from '../../test/support/signal-webhook.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

const SOURCES = fileURLToPath(new URL('../../test/fixtures/plugins/sources', import.meta.url));
const TOKEN = 'token-outside-keys-71e0';

describe('team tags that name Object.prototype members', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR, SOURCES],
      file: {
        plugins: { passthrough: { enabled: true }, alerts: { teams: { appsec: { group: 'appsec' } } } },
        sources: { test: { auth: { type: 'bearer', tokenEnv: 'TEST_TOKEN' } } },
        rules: [{ id: 'finding', severity: 'high', parts: [{ match: { type: 'finding' }, count: 1 }], window: '1h', groupBy: ['host'] }],
        channels: { default: 'C0DEFAULT', teams: { appsec: 'C0APPSEC' } },
        groups: { appsec: { users: ['U0APPSEC1'] } },
      },
      env: { TEST_TOKEN: TOKEN },
    });
    for (const id of ['C0DEFAULT', 'C0APPSEC']) t.slack.addChannel({ id, name: id.toLowerCase() });
  });
  afterAll(async () => t?.stop());

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('posts the card of a Team:%s signal to the default channel', async (team) => {
    const host = `host-${team.replace(/_/g, 'u').toLowerCase()}`;
    const at = new Date().toISOString();
    const res = await postSignals(t, 'test', JSON.stringify({ id: `s-${team}`, type: 'finding', occurredAt: at, artifacts: { host }, tags: [`Team:${team}`] }), TOKEN);
    expect(res.status).toBe(202);
    const call = await t.slack.waitForCall('chat.postMessage', (c) => JSON.stringify(c.args.blocks ?? '').includes(host), 15_000);
    expect(call.args.channel).toBe('C0DEFAULT');
  });

  it('still routes a real team to its channel', async () => {
    const res = await postSignals(t, 'test', JSON.stringify({ id: 's-appsec', type: 'finding', occurredAt: new Date().toISOString(), artifacts: { host: 'host-appsec' }, tags: ['Team:AppSec'] }), TOKEN);
    expect(res.status).toBe(202);
    const call = await t.slack.waitForCall('chat.postMessage', (c) => JSON.stringify(c.args.blocks ?? '').includes('host-appsec'), 15_000);
    expect(call.args.channel).toBe('C0APPSEC');
  });
});
