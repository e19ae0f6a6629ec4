// The Slack edge end to end: signed requests through the real Bolt HTTPReceiver, the real Web API client
// talking to the Slack fake, plugins from test/fixtures/plugins/ok, the real database.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { blockActionsBody, eventBody, sendSlackRequest, slackCommandBody, urlVerificationBody } from '../support/slack-requests.js';

const plugins = fileURLToPath(new URL('../fixtures/plugins/ok', import.meta.url));

describe('Slack app (HTTP mode, real receiver)', () => {
  let t: TestApp;
  const send = (body: Parameters<typeof sendSlackRequest>[1], signature: 'valid' | 'wrong' | 'missing' | 'stale' = 'valid', retryNum?: number) =>
    sendSlackRequest(t.slackUrl, body, { secret: TEST_SIGNING_SECRET, signature, retryNum });
  const seen = (namespace: string) => t.taser.database.db.collection(`plugin_${namespace}_seen`).find({}, { projection: { _id: 0 } }).toArray();

  beforeAll(async () => {
    t = await startTestApp({ pluginDirs: [plugins], file: { groups: { admins: { users: ['U0ADMIN1'] } } } });
  });
  afterAll(async () => t?.stop());
  beforeEach(async () => {
    t.slack.reset();
    await t.taser.database.db.collection('plugin_alpha_seen').deleteMany({});
    await t.taser.database.db.collection('plugin_beta_seen').deleteMany({});
  });

  it('handles a correctly signed slash command', async () => {
    const res = await send(slackCommandBody({ command: '/taser', text: 'alpha one "two words"', responseUrl: t.slack.responseUrl('cmd') }));
    expect(res.status).toBe(200);
    const reply = await t.slack.waitForResponse((r) => r.id === 'cmd');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', text: 'alpha got one,two words' });
    expect(await seen('alpha')).toEqual([{ kind: 'command', args: ['one', 'two words'], user: 'U0ALICE1' }]);
  });

  it.each(['wrong', 'stale', 'missing'] as const)('answers 401 to a %s signature and runs nothing', async (signature) => {
    const res = await send(slackCommandBody({ command: '/taser', text: 'alpha sneaky', responseUrl: t.slack.responseUrl('forged') }), signature);
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.slack.responses).toEqual([]);
    expect(await seen('alpha')).toEqual([]);
  });

  it('answers Slack url_verification', async () => {
    const res = await send(urlVerificationBody('challenge-123'));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: 'challenge-123' });
  });

  it('handles a repeated event_id once, even when Slack retries it', async () => {
    const body = eventBody({ type: 'message', channel: 'C0CASE01', user: 'U0ALICE1', text: 'hello', ts: '1700000000.000300', channel_type: 'channel' }, { eventId: 'Ev0DUPLICATE1' });
    expect((await send(body)).status).toBe(200);
    expect((await send(body, 'valid', 1)).status).toBe(200);
    await expect.poll(() => seen('alpha'), { timeout: 3000 }).toEqual([{ kind: 'event', eventId: 'Ev0DUPLICATE1', text: 'hello' }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await seen('alpha')).toHaveLength(1);
  });

  it('routes an action only to the plugin that owns its namespace', async () => {
    const res = await send(blockActionsBody({ actionId: 'alpha:ping', value: '{"n":7}', responseUrl: t.slack.responseUrl('a1') }));
    expect(res.status).toBe(200);
    await expect.poll(() => seen('alpha'), { timeout: 3000 }).toEqual([{ kind: 'action', value: { n: 7 }, user: 'U0ALICE1' }]);
    expect(await seen('beta')).toEqual([]);
    await send(blockActionsBody({ actionId: 'beta:ping', value: 'raw', responseUrl: t.slack.responseUrl('b1') }));
    await expect.poll(() => seen('beta'), { timeout: 3000 }).toEqual([{ kind: 'action', value: 'raw' }]);
    expect(await seen('alpha')).toHaveLength(1);
  });

  it('refuses a tampered button value with a clear ephemeral message', async () => {
    await send(blockActionsBody({ actionId: 'alpha:ping', value: '{"n":"seven"}', responseUrl: t.slack.responseUrl('tampered') }));
    const reply = await t.slack.waitForResponse((r) => r.id === 'tampered');
    expect(reply.body.text).toMatch(/cannot read/);
    expect(await seen('alpha')).toEqual([]);
  });

  it('answers an action nobody owns instead of timing out', async () => {
    const res = await send(blockActionsBody({ actionId: 'gone:button', responseUrl: t.slack.responseUrl('gone') }));
    expect(res.status).toBe(200);
    const reply = await t.slack.waitForResponse((r) => r.id === 'gone');
    expect(reply.body.text).toMatch(/no longer handled/);
  });

  it('turns a throwing handler into an ephemeral error with an id, logs it, and lives on', async () => {
    await send(slackCommandBody({ command: '/taser', text: 'alpha boom', responseUrl: t.slack.responseUrl('boom') }));
    const reply = await t.slack.waitForResponse((r) => r.id === 'boom');
    expect(reply.body.response_type).toBe('ephemeral');
    const errorId = /error id: `([0-9a-f]+)`/.exec(String(reply.body.text))?.[1];
    expect(errorId).toBeDefined();
    expect(String(reply.body.text)).not.toContain('secret detail');
    const logged = t.logs.find((l) => l.errorId === errorId);
    expect(logged).toMatchObject({ plugin: 'alpha', kind: 'command', msg: 'plugin handler failed' });
    expect(JSON.stringify(logged)).toContain('alpha exploded with a secret detail');

    // The process lives on: the next request is served normally.
    await send(slackCommandBody({ command: '/taser', text: 'alpha again', responseUrl: t.slack.responseUrl('after') }));
    expect((await t.slack.waitForResponse((r) => r.id === 'after')).body.text).toBe('alpha got again');
    const health = await fetch(`${t.taser.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('shows a UserError as it is', async () => {
    await send(slackCommandBody({ command: '/taser', text: 'alpha refuse', responseUrl: t.slack.responseUrl('refuse') }));
    expect((await t.slack.waitForResponse((r) => r.id === 'refuse')).body.text).toBe('alpha refuses politely');
  });

  it('keeps a failing event listener from stopping the others', async () => {
    await send(eventBody({ type: 'message', channel: 'C0CASE01', user: 'U0ALICE1', text: 'both', ts: '1700000000.000400' }, { eventId: 'Ev0BOTH0001' }));
    await expect.poll(() => seen('alpha'), { timeout: 3000 }).toEqual([{ kind: 'event', eventId: 'Ev0BOTH0001', text: 'both' }]);
    await expect.poll(() => t.logs.some((l) => l.plugin === 'beta' && l.kind === 'event' && l.errorId), { timeout: 3000 }).toBe(true);
  });

  it('enforces ACL groups on commands and logs the refusal', async () => {
    await send(slackCommandBody({ command: '/taser', text: 'secret', responseUrl: t.slack.responseUrl('denied') }));
    expect((await t.slack.waitForResponse((r) => r.id === 'denied')).body.text).toMatch(/not allowed to run `\/taser secret`/);
    expect(t.logs.some((l) => l.audit === 'acl_denied' && l.user === 'U0ALICE1')).toBe(true);
    await send(slackCommandBody({ command: '/taser', text: 'secret', userId: 'U0ADMIN1', responseUrl: t.slack.responseUrl('allowed') }));
    expect((await t.slack.waitForResponse((r) => r.id === 'allowed')).body.text).toBe('the secret');
  });

  it('answers an unknown subcommand with what is available', async () => {
    await send(slackCommandBody({ command: '/taser', text: 'nosuch', responseUrl: t.slack.responseUrl('unknown') }));
    expect((await t.slack.waitForResponse((r) => r.id === 'unknown')).body.text).toMatch(/Unknown subcommand `nosuch`[\s\S]*\/taser alpha/);
  });

  it('serves readiness and Prometheus metrics', async () => {
    const ready = await fetch(`${t.taser.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', mongodb: true, scheduler: true });
    const metrics = await (await fetch(`${t.taser.url}/metrics`)).text();
    expect(metrics).toMatch(/taser_handler_total\{plugin="alpha",kind="command",outcome="error"\} \d+/);
  });
});
