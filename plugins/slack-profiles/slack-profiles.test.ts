// slack-profiles answers USER_INFO and USER_MANAGER with the real WebClient against the Slack API fake:
// directly, and through Positron in a whole taser.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { WebClient } from '@slack/web-api';
import { startSlackFake, type FakeUser, type SlackFake } from '../../test/support/slack-fake.js';
import { loadPluginForTest, type LoadedTestPlugin } from '../../test/support/plugin-harness.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import type { QueryProviderDefinition } from '../../src/plugins/types.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const MANAGER_FIELD = 'Xf0MGR001';
const manager = (value: string) => ({ fields: { [MANAGER_FIELD]: { value, alt: '' }, Xf0OTHER1: { value: 'U0NOTME01', alt: '' } } });

const people: FakeUser[] = [
  { id: 'U0ALICE1', name: 'alice', real_name: 'Alice Analyst', email: 'alice@example.com', profile: { title: 'Security Analyst', ...manager('U0BOB001') } },
  { id: 'U0BOB001', name: 'bob', real_name: 'Bob Boss', email: 'bob@example.com', profile: { title: 'CISO', ...manager('carol@example.com') } },
  { id: 'W0CAROL1', name: 'carol', real_name: 'Carol Chief', email: 'carol@example.com' },
  { id: 'U0DAVE01', name: 'dave', real_name: 'Dave Gone', email: 'dave@example.com', deleted: true, profile: manager('Somebody Important') },
  { id: 'U0ERIN01', name: 'erin', email: 'erin@example.com', profile: manager('ghost@example.com') },
  { id: 'U0FRANK1', name: 'frank', email: 'frank@example.com', profile: manager('<@U0GONE01>') },
  { id: 'U0GINA01', name: 'gina', email: 'gina@example.com' },
  { id: 'U0HANK01', name: 'hank', email: 'hank@example.com', profile: manager('U0DAVE01') },
];

type Provider = QueryProviderDefinition<unknown, { user: string }, unknown>;

describe('slack-profiles plugin', () => {
  let fake: SlackFake;
  let plugin: LoadedTestPlugin;
  const provider = (id: string, p = plugin) => p.routes.providers.get(id)?.def as Provider | undefined;
  const ask = (id: string, user: string, signal = new AbortController().signal) => provider(id)!.answer({ user }, { signal, ctx: plugin.ctx });
  const info = (user: string) => ask('slack-profiles:user-info', user);
  const managerOf = (user: string) => ask('slack-profiles:user-manager', user);

  beforeAll(async () => {
    fake = await startSlackFake({ token: 'xoxb-profiles' });
    for (const p of people) fake.addUser(p);
    const slack = new WebClient('xoxb-profiles', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    plugin = await loadPluginForTest(folder, { managerField: MANAGER_FIELD }, { slack });
  });
  afterAll(async () => fake?.stop());
  beforeEach(() => {
    fake.calls.length = 0;
  });

  it('USER_INFO finds a user by e-mail, Slack user id or mention', async () => {
    const alice = { value: { displayName: 'Alice Analyst', email: 'alice@example.com', slackUserId: 'U0ALICE1', title: 'Security Analyst' } };
    await expect(info('Alice@Example.com')).resolves.toEqual([alice]);
    expect(fake.callsTo('users.lookupByEmail').map((c) => c.args.email)).toEqual(['Alice@Example.com']);
    await expect(info('U0ALICE1')).resolves.toEqual([alice]);
    await expect(info('<@U0ALICE1|alice>')).resolves.toEqual([alice]);
    expect(fake.callsTo('users.info').map((c) => c.args.user)).toEqual(['U0ALICE1', 'U0ALICE1']);
    await expect(info('W0CAROL1')).resolves.toEqual([{ value: { displayName: 'Carol Chief', email: 'carol@example.com', slackUserId: 'W0CAROL1' } }]);
  });

  it('USER_INFO marks a deactivated account', async () => {
    await expect(info('dave@example.com')).resolves.toEqual([{ value: { displayName: 'Dave Gone', email: 'dave@example.com', slackUserId: 'U0DAVE01', status: 'deactivated' } }]);
  });

  it('gives an empty answer for a username (Slack cannot look one up) and for unknown users', async () => {
    await expect(info('alice')).resolves.toEqual([]);
    expect(fake.calls).toHaveLength(0);
    await expect(info('nobody@example.com')).resolves.toEqual([]);
    await expect(info('U0NOBODY1')).resolves.toEqual([]);
    await expect(managerOf('nobody@example.com')).resolves.toEqual([]);
  });

  it('throws other Slack errors with their error code', async () => {
    fake.failNext('users.info', { kind: 'error', error: 'missing_scope' });
    await expect(info('U0ALICE1')).rejects.toThrow('Slack users.info failed: missing_scope');
    fake.failNext('users.lookupByEmail', { kind: 'ratelimited', retryAfter: 7 });
    await expect(info('alice@example.com')).rejects.toThrow('Slack users.lookupByEmail failed: slack_webapi_rate_limited_error (retry after 7 s)');
    fake.failNext('users.profile.get', { kind: 'http', status: 500 });
    await expect(managerOf('U0ALICE1')).rejects.toThrow('Slack users.profile.get failed: slack_webapi_http_error');
  });

  it('USER_MANAGER reads the manager field and resolves a user id to a person', async () => {
    await expect(managerOf('alice@example.com')).resolves.toEqual([{ value: { manager: { displayName: 'Bob Boss', email: 'bob@example.com', slackUserId: 'U0BOB001' } } }]);
    expect(fake.callsTo('users.profile.get').map((c) => c.args.user)).toEqual(['U0ALICE1']);
    expect(fake.callsTo('users.info').map((c) => c.args.user)).toEqual(['U0BOB001']);
  });

  it('USER_MANAGER resolves a manager e-mail, and keeps it when Slack does not know it', async () => {
    await expect(managerOf('U0BOB001')).resolves.toEqual([{ value: { manager: { displayName: 'Carol Chief', email: 'carol@example.com', slackUserId: 'W0CAROL1' } } }]);
    await expect(managerOf('U0ERIN01')).resolves.toEqual([{ value: { manager: { email: 'ghost@example.com' } }, confidence: 0.5 }]);
  });

  it('USER_MANAGER is less sure of a plain name or a deactivated manager, and empty without one', async () => {
    await expect(managerOf('U0DAVE01')).resolves.toEqual([{ value: { manager: { displayName: 'Somebody Important' } }, confidence: 0.5 }]);
    await expect(managerOf('U0HANK01')).resolves.toEqual([{ value: { manager: { displayName: 'Dave Gone', email: 'dave@example.com', slackUserId: 'U0DAVE01' } }, confidence: 0.5 }]);
    await expect(managerOf('U0FRANK1')).resolves.toEqual([]);
    await expect(managerOf('U0GINA01')).resolves.toEqual([]);
  });

  it('does not call Slack once Positron has given up', async () => {
    const controller = new AbortController();
    controller.abort(new Error('no answer within 5000 ms'));
    await expect(ask('slack-profiles:user-info', 'U0ALICE1', controller.signal)).rejects.toThrow('no answer within 5000 ms');
    expect(fake.calls).toHaveLength(0);
  });

  it('offers USER_MANAGER only with a managerField, and refuses a malformed one', async () => {
    const withoutField = await loadPluginForTest(folder, {});
    expect([...withoutField.routes.providers.keys()]).toEqual(['slack-profiles:user-info']);
    await expect(loadPluginForTest(folder, { managerField: 'manager' })).rejects.toThrow(/plugins\.slack-profiles\.managerField/);
  });
});

describe('slack-profiles through Positron', () => {
  let t: TestApp;
  const caller = { kind: 'cli' as const, user: 'slack-profiles-test' };
  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR],
      file: { plugins: { 'slack-profiles': { enabled: true, managerField: MANAGER_FIELD } } },
    });
    for (const p of people) t.slack.addUser(p);
  });
  afterAll(async () => t?.stop());

  it('answers USER_INFO and USER_MANAGER from Slack profiles', async () => {
    const who = await t.taser.positron.run(caller, 'USER_INFO', { args: ['<@U0ALICE1>'] });
    expect(who.providers).toMatchObject([{ provider: 'slack-profiles:user-info', status: 'answered' }]);
    expect(who.top!.summary).toBe('Alice Analyst · alice@example.com · <@U0ALICE1> · Security Analyst');
    const boss = await t.taser.positron.run(caller, 'USER_MANAGER', { input: { user: 'alice@example.com' } });
    expect(boss.top!.summary).toBe('Bob Boss · bob@example.com · <@U0BOB001>');
    const nobody = await t.taser.positron.run(caller, 'USER_MANAGER', { args: ['alice'] });
    expect(nobody.top).toBeUndefined();
    expect(nobody.providers).toMatchObject([{ provider: 'slack-profiles:user-manager', status: 'empty' }]);
  });
});
