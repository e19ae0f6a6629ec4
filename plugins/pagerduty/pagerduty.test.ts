// The pagerduty plugin answers ONCALL_FOR_TEAM from the PagerDuty fake: directly, and through Positron.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPluginForTest, type LoadedTestPlugin } from '../../test/support/plugin-harness.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import type { QueryProviderDefinition } from '../../src/plugins/types.js';
import { startPagerDutyFake, type PagerDutyFake } from './pagerduty-fake.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const TOKEN = 'pd-plugin-test-key';
const teams = { AppSec: { escalationPolicyIds: ['PEPAPP1'], scheduleIds: ['PSCHSEC'] }, netops: 'PEPNET1' };

function seed(fake: PagerDutyFake) {
  fake.users.clear();
  fake.oncalls.length = 0;
  const user = (id: string, name: string) => fake.users.set(id, { id, name, email: `${name.split(' ')[0]!.toLowerCase()}@example.com` });
  user('PUANNA1', 'Anna Level');
  user('PUBERT2', 'Bert Backup');
  user('PUCARL3', 'Carl Chief');
  user('PUDORA4', 'Dora Secops');
  const daily = { id: 'PSCHAPP', summary: 'AppSec Daily' };
  // Listed highest level first, so the answer's order is the plugin's doing.
  fake.oncalls.push(
    { userId: 'PUCARL3', escalationPolicyId: 'PEPAPP1', escalationLevel: 3, schedule: null, start: null, end: null },
    { userId: 'PUBERT2', escalationPolicyId: 'PEPAPP1', escalationLevel: 2, schedule: daily, start: '2026-03-01T09:00:00Z', end: '2026-03-02T09:00:00Z' },
    { userId: 'PUANNA1', escalationPolicyId: 'PEPAPP1', escalationLevel: 1, schedule: daily, start: '2026-03-01T09:00:00Z', end: '2026-03-02T09:00:00Z' },
    // Anna is also on call later at level 1: earliest=true keeps only her current shift.
    { userId: 'PUANNA1', escalationPolicyId: 'PEPAPP1', escalationLevel: 1, schedule: daily, start: '2026-03-08T09:00:00Z', end: '2026-03-09T09:00:00Z' },
    // Dora is on the security schedule, used by another policy: reached through the team's scheduleIds.
    { userId: 'PUDORA4', escalationPolicyId: 'PEPOTHR', escalationLevel: 1, schedule: { id: 'PSCHSEC', summary: 'Security' }, start: '2026-03-01T00:00:00Z', end: '2026-03-03T00:00:00Z' },
  );
}

describe('pagerduty plugin: ONCALL_FOR_TEAM', () => {
  let fake: PagerDutyFake;
  let plugin: LoadedTestPlugin;
  const ask = (team: string, signal = new AbortController().signal, p = plugin) => {
    const provider = p.routes.providers.get('pagerduty:oncall')!.def as QueryProviderDefinition<unknown, { team: string }, unknown>;
    return provider.answer({ team }, { signal, ctx: p.ctx });
  };

  beforeAll(async () => {
    fake = await startPagerDutyFake({ token: TOKEN });
    plugin = await loadPluginForTest(folder, { apiUrl: fake.url, tokenEnv: 'PD_KEY', teams }, { env: { PD_KEY: TOKEN } });
  });
  afterAll(async () => fake?.stop());
  beforeEach(() => {
    seed(fake);
    fake.requests.length = 0;
  });

  it('answers the lowest escalation level first, surest for level 1, with e-mail, schedule and end', async () => {
    const answers = await ask('appsec');
    expect(answers).toEqual([
      { value: { oncall: { displayName: 'Anna Level', email: 'anna@example.com' }, escalationLevel: 1, schedule: 'AppSec Daily', until: '2026-03-02T09:00:00Z' }, confidence: 1 },
      { value: { oncall: { displayName: 'Dora Secops', email: 'dora@example.com' }, escalationLevel: 1, schedule: 'Security', until: '2026-03-03T00:00:00Z' }, confidence: 1 },
      { value: { oncall: { displayName: 'Bert Backup', email: 'bert@example.com' }, escalationLevel: 2, schedule: 'AppSec Daily', until: '2026-03-02T09:00:00Z' }, confidence: 0.5 },
      // Permanent on-call: no schedule, no end.
      { value: { oncall: { displayName: 'Carl Chief', email: 'carl@example.com' }, escalationLevel: 3 }, confidence: 0.25 },
    ]);
    const byPolicy = fake.requests.find((r) => r.query.has('escalation_policy_ids[]'))!;
    expect(byPolicy.query.getAll('escalation_policy_ids[]')).toEqual(['PEPAPP1']);
    expect(byPolicy.query.has('schedule_ids[]')).toBe(false);
    expect(byPolicy.query.getAll('include[]')).toEqual(['users']);
    expect(byPolicy.query.get('earliest')).toBe('true');
    expect(fake.requests.find((r) => r.query.has('schedule_ids[]'))!.query.getAll('schedule_ids[]')).toEqual(['PSCHSEC']);
  });

  it('reads every page: the level-1 on-call may be on the last one', async () => {
    fake.oncalls.length = 0;
    for (let i = 0; i < 150; i++) {
      const id = `PUBULK${i}`;
      fake.users.set(id, { id, name: `Bulk ${i}`, email: `bulk${i}@example.com` });
      fake.oncalls.push({ userId: id, escalationPolicyId: 'PEPNET1', escalationLevel: 2, schedule: null, start: null, end: null });
    }
    fake.oncalls.push({ userId: 'PUANNA1', escalationPolicyId: 'PEPNET1', escalationLevel: 1, schedule: null, start: null, end: null });
    const answers = await ask('netops');
    expect(answers).toHaveLength(151);
    expect(answers[0]).toMatchObject({ value: { oncall: { email: 'anna@example.com' }, escalationLevel: 1 }, confidence: 1 });
    expect(fake.requests.map((r) => r.query.get('offset'))).toEqual(['0', '100']);
  });

  it('gives an empty answer for a team it does not know, without asking PagerDuty', async () => {
    await expect(ask('payments')).resolves.toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('fails clearly on PagerDuty errors and on a missing API key', async () => {
    fake.failNext('/oncalls', { status: 429, message: 'Rate Limit Exceeded', code: 2020 });
    await expect(ask('netops')).rejects.toThrow(/PagerDuty GET \/oncalls: 429 rate limited/);
    // Retried twice by the core HTTP client: three 500s in a row are the error.
    for (let i = 0; i < 3; i++) fake.failNext('/oncalls', { status: 500, message: 'Internal Server Error' });
    await expect(ask('netops')).rejects.toThrow(/500 PagerDuty server error/);
    const wrongKey = await loadPluginForTest(folder, { apiUrl: fake.url, tokenEnv: 'PD_KEY', teams }, { env: { PD_KEY: 'revoked' } });
    await expect(ask('netops', undefined, wrongKey)).rejects.toThrow(/401 authentication failed/);
    const noKey = await loadPluginForTest(folder, { apiUrl: fake.url, tokenEnv: 'PD_KEY', teams }, { env: {} });
    await expect(ask('netops', undefined, noKey)).rejects.toThrow('PagerDuty API key missing: set the environment variable PD_KEY');
  });

  it('stops when Positron aborts it', async () => {
    const held = fake.holdNext('/oncalls');
    const controller = new AbortController();
    const pending = ask('netops', controller.signal);
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort(new Error('no answer within 5000 ms'));
    await expect(pending).rejects.toThrow('no answer within 5000 ms');
    await held.closed;
  });

  it('refuses settings that name no PagerDuty id', async () => {
    await expect(loadPluginForTest(folder, { teams: { appsec: { escalationPolicyIds: [] } } })).rejects.toThrow(/plugins\.pagerduty\.teams\.appsec/);
    await expect(loadPluginForTest(folder, { teams: { appsec: 'not an id' } })).rejects.toThrow(/plugins\.pagerduty\.teams\.appsec/);
  });
});

describe('pagerduty plugin through Positron', () => {
  let fake: PagerDutyFake;
  let t: TestApp;
  const caller = { kind: 'cli' as const, user: 'pagerduty-test' };
  beforeAll(async () => {
    fake = await startPagerDutyFake({ token: TOKEN });
    seed(fake);
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR],
      file: { plugins: { pagerduty: { enabled: true, apiUrl: fake.url, teams } } },
      env: { PAGERDUTY_TOKEN: TOKEN },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
  });

  it('answers /positron ONCALL_FOR_TEAM with the level-1 on-call on top', async () => {
    const result = await t.taser.positron.run(caller, 'ONCALL_FOR_TEAM', { args: ['AppSec'] });
    expect(result.providers).toMatchObject([{ provider: 'pagerduty:oncall', status: 'answered' }]);
    expect(result.top!.summary).toBe('Anna Level · anna@example.com · AppSec Daily · until 2026-03-02T09:00:00Z');
    expect(result.alternatives.map((a) => a.summary.split(' · ')[0])).toEqual(['Dora Secops', 'Bert Backup', 'Carl Chief']);
  });

  it('reports the provider as failed when PagerDuty fails', async () => {
    for (let i = 0; i < 3; i++) fake.failNext('/oncalls', { status: 503, message: 'Service Unavailable' });
    const result = await t.taser.positron.run(caller, 'ONCALL_FOR_TEAM', { args: ['netops'] });
    expect(result.top).toBeUndefined();
    expect(result.providers).toMatchObject([{ provider: 'pagerduty:oncall', status: 'failed', error: expect.stringMatching(/503 PagerDuty server error/) }]);
  });
});
