import { describe, expect, it } from 'vitest';
import { formData, fromDefinition, placeIssues, toDefinition } from './rule-form.js';
import { parseRule } from '../../correlation/rule.js';

describe('the rule editor form', () => {
  it('turns the structured form into a definition the rule parser accepts, and back', () => {
    const d = formData({
      id: 'pushes', severity: 'high', template: 'identity', window: '1h', groupBy: 'username, src_ip', ordered: 'on',
      'parts.0.type': 'sso_login', 'parts.0.count': '1', 'parts.0.where': 'country=fr, country=de',
      'parts.1.type': 'duo_push_denied, duo_push_timeout', 'parts.1.source': 'duo', 'parts.1.count': '2', 'parts.2.type': '',
    });
    const def = toDefinition(d);
    expect(def).toEqual({
      id: 'pushes', severity: 'high', template: 'identity', window: '1h', groupBy: ['username', 'src_ip'], ordered: true,
      parts: [
        { match: { type: 'sso_login', where: { country: ['fr', 'de'] } }, count: 1 },
        { match: { type: ['duo_push_denied', 'duo_push_timeout'], source: 'duo' }, count: 2 },
      ],
    });
    expect(parseRule(def, 'rule').parts).toHaveLength(2);
    const back = fromDefinition(def);
    expect(back.parts.map((p) => p.where)).toEqual(['country=fr, country=de', '']);
    expect(toDefinition(back)).toEqual(def);
  });

  it('keeps the compact form as expr', () => {
    const def = toDefinition(formData({ kind: 'expr', id: 'x', expr: '[(2 a)] IN [1h]', window: 'ignored' }));
    expect(def).toEqual({ id: 'x', severity: 'medium', expr: '[(2 a)] IN [1h]' });
    expect(fromDefinition(def).kind).toBe('expr');
  });

  it('places each issue next to its field or part row', () => {
    const d = formData({ id: 'x', 'parts.0.type': 'a', 'parts.0.count': '0' });
    const placed = placeIssues(d, [
      { path: 'window', message: 'required' },
      { path: 'parts.0.count', message: 'must be at least 1' },
      { path: 'parts.0.match.where.user', message: 'empty' },
      { path: '(rule)', message: 'odd' },
    ]);
    expect(placed.errors).toEqual({ window: 'required' });
    expect(d.parts[0]!.error).toBe('count: must be at least 1; match.where.user: empty');
    expect(placed.general).toEqual(['(rule): odd']);
  });
});
