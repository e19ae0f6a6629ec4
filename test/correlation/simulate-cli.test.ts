// `taser simulate` as a person runs it: the real command in a child process, rule and signal files on disk.
import { afterAll, describe, expect, it } from 'vitest';
import { runTaser } from '../support/cli.js';
import { TempDir, at, prng, shuffle, sig } from './helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

const simulate = (rules: string, signals: string, json = true) => runTaser(['simulate', '--rules', rules, '--signals', signals, ...(json ? ['--json'] : [])], {});

const RULES_YAML = [
  '# the worked example of SEMANTICS.md, in both forms',
  'rules:',
  '  - id: duo-then-sso',
  '    parts:',
  '      - match: { type: duo_push_denied }',
  '        count: 2',
  '      - match: { type: sso_login_new_location }',
  '        count: 1',
  '    window: 4h',
  '    groupBy: [username]',
  '  - id: compact',
  '    expr: "[( 1 SSO login new location) + ( 2 Duo push denied) ] IN [ 4 Hours ] WITH [ username ] IN COMMON"',
  '',
].join('\n');

const EXAMPLE = [
  sig('d1', 'duo_push_denied', at('09:00'), { username: 'alice' }, { source: 'duo' }),
  sig('d2', 'duo_push_denied', '2024-05-01T12:00:00+02:00', { username: 'Alice' }, { source: 'duo' }),
  sig('b1', 'duo_push_denied', at('10:30'), { username: 'bob' }, { source: 'duo' }),
  sig('s1', 'sso_login_new_location', at('12:59'), { username: 'ALICE' }, { source: 'okta' }),
  sig('d3', 'duo_push_denied', at('13:00'), { username: ' alice' }, { source: 'duo' }),
  sig('d4', 'duo_push_denied', at('18:00'), { username: 'alice' }, { source: 'duo' }),
  sig('d1', 'duo_push_denied', at('13:30'), { username: 'alice' }, { source: 'duo' }), // duplicate: ignored
];

// Each case starts the real command (tsx compiles on start): slow on a loaded machine.
describe('taser simulate', { timeout: 90_000 }, () => {
  it('prints the alerts of the worked example as one JSON object', async () => {
    const result = await simulate(dir.file('rules.yaml', RULES_YAML), dir.signals(EXAMPLE));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const alert = { group: { username: 'alice' }, signals: ['d1', 'd2', 's1', 'd3'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T13:00:00.000Z' };
    const output = JSON.parse(result.stdout) as { alerts: unknown[]; stats: Record<string, unknown> };
    expect(Object.keys(output)).toEqual(['alerts', 'stats']);
    expect(output.alerts).toEqual([
      { rule: 'compact', ...alert },
      { rule: 'duo-then-sso', ...alert },
    ]);
    expect(output.stats).toMatchObject({ lines: 7, signals: 6, duplicates: 1, alerts: 2 });
  });

  it('gives the same output for a shuffled file and for rules as a JSON list', async () => {
    const rules = dir.file('rules.json', JSON.stringify([{ id: 'duo-then-sso', parts: [{ match: { type: 'duo_push_denied' }, count: 2 }, { match: { type: 'sso_login_new_location' }, count: 1 }], window: 14_400_000, groupBy: ['username'] }]));
    const ordered = await simulate(rules, dir.signals(EXAMPLE.slice(0, 6)));
    const shuffled = await simulate(rules, dir.signals(shuffle(EXAMPLE.slice(0, 6), prng(5))));
    expect(ordered.code).toBe(0);
    expect(JSON.parse(ordered.stdout).alerts).toHaveLength(1);
    expect(shuffled.stdout).toBe(ordered.stdout);
  });

  it('prints a summary for people without --json', async () => {
    const result = await simulate(dir.file('rules.yaml', RULES_YAML), dir.signals(EXAMPLE), false);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('7 lines, 6 signals replayed, 1 duplicates ignored, 2 alerts');
    expect(result.stdout).toContain('2024-05-01T09:00:00.000Z  duo-then-sso  username=alice  4 signals  until 2024-05-01T13:00:00.000Z');
  });

  it('refuses a malformed rule, naming the rule and the field, and prints nothing on stdout', async () => {
    const rules = dir.file('bad-rules.yaml', 'rules:\n  - id: too-few\n    parts: [{ match: { type: x }, count: 0 }]\n    window: 4 fortnights\n');
    const result = await simulate(rules, dir.signals(EXAMPLE));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/rule "too-few": parts\.0\.count: must be at least 1/);
    expect(result.stderr).toMatch(/rule "too-few": window: unknown unit "fortnights"/);
  });

  it('refuses a malformed signal line, naming the line and the field, and prints nothing on stdout', async () => {
    const lines = [...EXAMPLE.slice(0, 3).map((s) => JSON.stringify(s)), JSON.stringify({ ...EXAMPLE[3], occurredAt: '2024-05-01 12:59' }), 'not json'];
    const result = await simulate(dir.file('rules.yaml', RULES_YAML), dir.file('bad.jsonl', lines.join('\n')));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/line 4: occurredAt: must be an ISO-8601 timestamp with an offset or Z/);
    expect(result.stderr).toMatch(/line 5: not JSON/);
  });

  it('refuses a missing file or option', async () => {
    const missing = await simulate(dir.file('rules.yaml', RULES_YAML), `${dir.path}/nowhere.jsonl`);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/nowhere\.jsonl: cannot read: ENOENT/);
    const noRules = await runTaser(['simulate', '--signals', dir.signals(EXAMPLE)], {});
    expect(noRules.code).not.toBe(0);
    expect(noRules.stderr).toMatch(/--rules/);
  });
});
