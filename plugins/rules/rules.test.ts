// `/taser rules` through the real receiver: everyone lists and shows; only correlation admins switch a rule,
// and the switch is what the live engine then uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../../test/support/app.js';
import { sendSlackRequest, slackCommandBody } from '../../test/support/slack-requests.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

const rules = [
  { id: 'brute-force', severity: 'high', team: 'identity', parts: [{ match: { type: 'sso_login_failed' }, count: 5 }], window: '10m', groupBy: ['username'] },
  { id: 'ids-burst', expr: '[( 3 ids alert )] IN [ 10m ] WITH [ src_ip ] IN COMMON' },
];

describe('/taser rules', () => {
  let t: TestApp;
  const run = async (text: string, id: string, userId = 'U0ANYONE1') => {
    await sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/taser', text: `rules ${text}`.trim(), userId, responseUrl: t.slack.responseUrl(id) }), { secret: TEST_SIGNING_SECRET });
    return (await t.slack.waitForResponse((r) => r.id === id)).body;
  };

  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR],
      file: { rules, groups: { 'soc-leads': { users: ['U0LEAD001'] } }, correlation: { admins: ['soc-leads'] } },
    });
  });
  afterAll(async () => t?.stop());

  it('lists every rule with its state, version and what it matches', async () => {
    const reply = await run('', 'list');
    const text = JSON.stringify(reply.blocks);
    expect(reply.response_type).toBe('ephemeral');
    expect(text).toContain('`brute-force` v1 · high · team identity · 5 × sso_login_failed within 10 min by username');
    expect(text).toContain('`ids-burst` v1 · medium · 3 × ids_alert within 10 min by src_ip');
  });

  it('shows one rule, and names an unknown one', async () => {
    expect(JSON.stringify((await run('show ids-burst', 'show')).blocks)).toContain('IN COMMON');
    expect((await run('show nope', 'unknown')).text).toContain('There is no rule `nope`');
    expect((await run('frobnicate x', 'bad')).text).toContain('usage: /taser rules');
  });

  it('refuses a switch from a non-admin, and lets an admin disable and enable a rule', async () => {
    expect((await run('disable brute-force', 'denied')).text).toBe('Only members of `soc-leads` may disable rules.');
    expect((await t.taser.correlation.rules.get('brute-force'))!.enabled).toBe(true);
    expect(t.logs.some((l) => l.audit === 'rule_switch_denied' && l.user === 'U0ANYONE1')).toBe(true);

    expect((await run('disable brute-force', 'off', 'U0LEAD001')).text).toBe('Rule `brute-force` is now disabled.');
    const stored = await t.taser.correlation.rules.get('brute-force');
    expect([stored!.enabled, stored!.updatedBy, stored!.version]).toEqual([false, 'U0LEAD001', 1]);
    expect((await t.taser.correlation.rules.active()).map((r) => r.rule.id)).toEqual(['ids-burst']);

    expect((await run('enable brute-force', 'on', 'U0LEAD001')).text).toBe('Rule `brute-force` is now enabled.');
    expect((await t.taser.correlation.rules.active()).map((r) => r.rule.id)).toEqual(['brute-force', 'ids-burst']);
  });
});
