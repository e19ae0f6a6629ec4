import { afterAll, describe, expect, it } from 'vitest';
import { compileRule, loadRulesFile, parseRule, parseRules, RuleError, type CompiledRule } from './rule.js';
import { TempDir } from '../../test/correlation/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

const problems = (input: unknown): string[] => {
  try {
    parseRules(input);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleError);
    return (err as RuleError).problems;
  }
  throw new Error('expected a RuleError');
};

/** What the engine runs on, without the rule as written. */
const behaviour = ({ rule: _rule, key: _key, ...compiled }: CompiledRule) => compiled;

const structured = {
  id: 'duo-sso',
  parts: [
    { match: { type: 'sso_login_from_a_new_location' }, count: 1 },
    { match: { type: 'failed_duo_pushes' }, count: 2 },
  ],
  window: '4h',
  groupBy: ['username'],
};

describe('rules', () => {
  it('parses the compact form to the same rule as the structured form', () => {
    const compact = parseRule({ id: 'duo-sso', expr: '[( 1 SSO login from a new location) + ( 2 failed Duo pushes) ] IN [ 4 Hours ] WITH [ username ] IN COMMON' }, 'r');
    const plain = parseRule(structured, 'r');
    expect(behaviour(compileRule(compact))).toEqual(behaviour(compileRule(plain)));
    expect(compact).toMatchObject({ windowMs: 4 * 3_600_000, keepAliveMs: 4 * 3_600_000, groupBy: ['username'], ordered: false });
    expect(compact.maxDurationMs).toBeUndefined();
  });

  it('parses THEN in the compact form to an ordered rule', () => {
    const compact = parseRule({ id: 'o', expr: '[(2 duo push denied) THEN (1 sso-login)] IN [15m] WITH [username, hostname] IN COMMON', keepAlive: '1h', maxDuration: '1d' }, 'r');
    const plain = parseRule({ id: 'o', parts: [{ match: { type: 'duo_push_denied' }, count: 2 }, { match: { type: 'SSO Login' }, count: 1 }], window: 900_000, groupBy: ['username', 'hostname'], ordered: true, keepAlive: '60 minutes', maxDuration: '24h' }, 'r');
    expect(behaviour(compileRule(compact))).toEqual(behaviour(compileRule(plain)));
    expect(compact).toMatchObject({ ordered: true, windowMs: 900_000, keepAliveMs: 3_600_000, maxDurationMs: 86_400_000 });
  });

  it('normalizes type names: case, runs of spaces, underscores and hyphens', () => {
    const compiled = compileRule(parseRule({ id: 'r', parts: [{ match: { type: ['SSO  login - from_a new__location', 'IDS-Alert'] }, count: 1 }], window: '1h' }, 'r'));
    expect([...compiled.parts[0]!.types!]).toEqual(['sso_login_from_a_new_location', 'ids_alert']);
  });

  it('defaults: keepAlive = window, no maxDuration, groupBy [] (one group), unordered, enabled', () => {
    const rule = parseRule({ id: 'r', parts: [{ match: {}, count: 1 }], window: '36 hours' }, 'r');
    expect(rule).toMatchObject({ windowMs: 36 * 3_600_000, keepAliveMs: 36 * 3_600_000, groupBy: [], ordered: false, enabled: true });
    expect(rule.maxDurationMs).toBeUndefined();
  });

  it('reads a list of rules or {rules: [...]}', () => {
    expect(parseRules([structured]).map((r) => r.id)).toEqual(['duo-sso']);
    expect(parseRules({ rules: [structured, { ...structured, id: 'other' }] }).map((r) => r.id)).toEqual(['duo-sso', 'other']);
    expect(parseRules({ rules: [] })).toEqual([]);
  });

  it('loads YAML and JSON files, in both shapes', () => {
    const yaml = dir.file('rules.yaml', [
      'rules:',
      '  - id: duo-sso',
      '    expr: "[( 1 SSO login from a new location) + ( 2 failed Duo pushes) ] IN [ 4 Hours ] WITH [ username ] IN COMMON"',
      '  - id: ids',
      '    parts:',
      '      - match: { type: ids_alert, source: [suricata, zeek], where: { dst_port: 443 } }',
      '        count: 3',
      '    window: 15m',
      '    groupBy: [src_ip]',
      '    keepAlive: 1h',
      '    maxDuration: 2d',
      '',
    ].join('\n'));
    const fromYaml = loadRulesFile(yaml);
    expect(fromYaml.map((r) => r.id)).toEqual(['duo-sso', 'ids']);
    expect(fromYaml[1]).toMatchObject({ windowMs: 900_000, keepAliveMs: 3_600_000, maxDurationMs: 172_800_000, groupBy: ['src_ip'] });
    expect(fromYaml[1]!.parts[0]!.match).toMatchObject({ type: ['ids_alert'], source: ['suricata', 'zeek'], where: { dst_port: [443] } });
    const listYaml = dir.file('list.yml', '- id: a\n  parts: [{ match: { type: x }, count: 2 }]\n  window: 90s\n');
    expect(loadRulesFile(listYaml)[0]).toMatchObject({ id: 'a', windowMs: 90_000 });
    const json = dir.file('rules.json', JSON.stringify([structured]));
    expect(loadRulesFile(json).map((r) => r.id)).toEqual(['duo-sso']);
    const wrapped = dir.file('wrapped.json', JSON.stringify({ rules: [structured] }));
    expect(loadRulesFile(wrapped).map((r) => r.id)).toEqual(['duo-sso']);
  });

  it('says which file cannot be read or parsed', () => {
    expect(() => loadRulesFile(`${dir.path}/none.yaml`)).toThrow(/none\.yaml: cannot read: ENOENT/);
    expect(() => loadRulesFile(dir.file('broken.yaml', 'rules: [ {id: a'))).toThrow(/broken\.yaml: not valid YAML or JSON/);
    expect(() => loadRulesFile(dir.file('empty.yaml', ''))).toThrow(/expected a list of rules/);
  });
});

describe('bad rules', () => {
  const part = { match: { type: 'x' }, count: 1 };

  it('name the rule and the field', () => {
    expect(problems([{ id: 'r1', parts: [{ match: { type: 'x' }, count: 0 }], window: '1h' }])).toEqual(['rule "r1": parts.0.count: must be at least 1']);
    expect(problems([{ id: 'r1', parts: [{ match: { type: 'x' }, count: 1.5 }], window: '1h' }])).toEqual(['rule "r1": parts.0.count: must be an integer']);
    expect(problems([{ id: 'r1', parts: [{ match: { type: 'x' } }], window: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": parts\.0\.count: /)]);
    expect(problems([{ id: 'r1', parts: [], window: '1h' }])).toEqual(['rule "r1": parts: needs at least one part']);
    expect(problems([{ id: 'r1', parts: [part] }])).toEqual(['rule "r1": window: required (or give expr)']);
    expect(problems([{ id: 'r1', window: '1h' }])).toEqual(['rule "r1": parts: required (or give expr)']);
    expect(problems([{ id: 'r1', parts: [part], window: '90' }])).toEqual([expect.stringMatching(/^rule "r1": window: must be a duration/)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', keepAlive: 'soon' }])).toEqual([expect.stringMatching(/^rule "r1": keepAlive: /)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', maxDuration: 0 }])).toEqual([expect.stringMatching(/^rule "r1": maxDuration: /)]);
    expect(problems([{ id: 'r1', parts: [{ match: { type: 'x', colour: 'red' }, count: 1 }], window: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": parts\.0\.match: .*colour/)]);
    expect(problems([{ id: 'r1', parts: [{ match: { severity: 'urgent' }, count: 1 }], window: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": parts\.0\.match\.severity/)]);
    expect(problems([{ id: 'r1', parts: [{ match: { type: [] }, count: 1 }], window: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": parts\.0\.match\.type/)]);
    expect(problems([{ id: 'r1', parts: [{ match: { where: { user: ' ' } }, count: 1 }], window: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": parts\.0\.match\.where\.user: an empty value never matches/)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', groupBy: 'user' }])).toEqual([expect.stringMatching(/^rule "r1": groupBy: /)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', groupBy: ['user', 'user'] }])).toEqual(['rule "r1": groupBy: lists a field twice']);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', ordered: 'yes' }])).toEqual([expect.stringMatching(/^rule "r1": ordered: /)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', keepalive: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": \(rule\): .*keepalive/)]);
  });

  it('bound every number: counts, durations and the number of parts (a count past 2^31 once fired on one signal)', () => {
    const many = (n: number) => Array.from({ length: n }, () => part);
    expect(problems([{ id: 'r1', parts: [{ match: { type: 'x' }, count: 2_147_483_648 }], window: '1h' }])).toEqual(['rule "r1": parts.0.count: must be at most 100000']);
    expect(problems([{ id: 'r1', parts: [{ match: { type: 'x' }, count: 100_001 }], window: '1h' }])).toEqual(['rule "r1": parts.0.count: must be at most 100000']);
    expect(parseRules([{ id: 'r1', parts: [{ match: { type: 'x' }, count: 100_000 }], window: '366d' }])[0]).toMatchObject({ windowMs: 366 * 86_400_000 });
    expect(problems([{ id: 'c', expr: '[(2147483648 a)] IN [4h]' }])).toEqual(['rule "c": expr: part 1: the count must be at most 100000']);
    expect(problems([{ id: 'r1', parts: many(17), window: '1h' }])).toEqual(['rule "r1": parts: at most 16 parts']);
    expect(parseRules([{ id: 'r1', parts: many(16), window: '1h' }])[0]!.parts).toHaveLength(16);
    expect(problems([{ id: 'r1', parts: [part], window: '367d' }])).toEqual([expect.stringMatching(/^rule "r1": window: must be at most 366 days/)]);
    expect(problems([{ id: 'r1', parts: [part], window: 1e300 }])).toEqual([expect.stringMatching(/^rule "r1": window: must be at most 366 days/)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', keepAlive: '9999999999999999999 weeks' }])).toEqual([expect.stringMatching(/^rule "r1": keepAlive: must be at most 366 days/)]);
    expect(problems([{ id: 'r1', parts: [part], window: '1h', maxDuration: Infinity }])).toEqual([expect.stringMatching(/^rule "r1": maxDuration: /)]);
    expect(problems([{ id: 'c', expr: '[(1 a)] IN [400 days]' }])).toEqual([expect.stringMatching(/^rule "c": expr: IN \[\.\.\.\]: must be at most 366 days/)]);
    expect(problems([{ id: 'r1', parts: [{ match: { where: { port: Infinity } }, count: 1 }], window: '1h' }])).toEqual([expect.stringMatching(/^rule "r1": parts\.0\.match\.where\.port/)]);
  });

  it('name the rule by position when it has no id', () => {
    expect(problems([{ id: 'ok', parts: [part], window: '1h' }, { parts: [part], window: '1h' }])).toEqual([expect.stringMatching(/^rules\[1\]: id: /)]);
    expect(problems(['just text'])).toEqual([expect.stringMatching(/^rules\[0\]: /)]);
  });

  it('name the rule and "expr" for a malformed compact form', () => {
    expect(problems([{ id: 'c', expr: '(1 a) IN 4h' }])).toEqual([expect.stringMatching(/^rule "c": expr: expected/)]);
    expect(problems([{ id: 'c', expr: '[(1 a)] IN [4 parsecs]' }])).toEqual([expect.stringMatching(/^rule "c": expr: IN \[\.\.\.\]: unknown unit "parsecs"/)]);
    expect(problems([{ id: 'c', expr: '[(1 a)] IN [4h]', window: '1h' }])).toEqual(['rule "c": window: give either expr or parts/window/groupBy/ordered, not both']);
  });

  it('refuse two rules with one id, naming both', () => {
    expect(problems([{ id: 'r', parts: [part], window: '1h' }, { id: 'r', parts: [part], window: '2h' }])).toEqual(['rule "r": id: used by rules[0] and rules[1]']);
    // Also when the first of the two is malformed itself.
    expect(problems([{ id: 'r', parts: [], window: '1h' }, { id: 'r', parts: [part], window: '2h' }])).toEqual(['rule "r": parts: needs at least one part', 'rule "r": id: used by rules[0] and rules[1]']);
  });

  it('report every problem of every rule at once', () => {
    expect(problems([{ id: 'a', parts: [part] }, { id: 'b', parts: [part], window: 'x' }])).toHaveLength(2);
    expect(problems([{ id: 'c', parts: [{ match: {}, count: 0 }], window: '4 fortnights', keepAlive: -1 }])).toEqual([
      'rule "c": parts.0.count: must be at least 1',
      expect.stringMatching(/^rule "c": window: unknown unit "fortnights"/),
      expect.stringMatching(/^rule "c": keepAlive: must be a positive number/),
    ]);
  });

  it('refuse a file that is not a list of rules', () => {
    expect(problems({ rules: 'x' })).toEqual(['rules: expected a list of rules, or an object with a "rules" list']);
    expect(problems(null)).toEqual(['rules: expected a list of rules, or an object with a "rules" list']);
  });
});
