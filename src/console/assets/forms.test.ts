import { describe, expect, it } from 'vitest';
import { enrichmentFromForm, formData, fromDefinition, placeEnrichmentIssues, placeIssues, toDefinition } from './forms.js';
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

  it("places each issue in its field's slot, a part's by the form row it came from", () => {
    // Row 0 left empty: the API's parts.0 is the form's row 1.
    const d = formData({ id: 'x', 'parts.1.type': 'a', 'parts.1.count': '0' });
    const placed = placeIssues(d, [
      { path: 'window', message: 'required' },
      { path: 'parts.0.count', message: 'must be at least 1' },
      { path: 'parts.0.match.where.user', message: 'empty' },
      { path: 'parts.3', message: 'no such part' },
      { path: '(rule)', message: 'odd' },
    ]);
    expect(placed.errors).toEqual({ window: 'required', 'parts.1': 'count: must be at least 1; match.where.user: empty', parts: 'parts.3: no such part' });
    expect(placed.general).toEqual(['(rule): odd']);
  });

  it('turns the enrichment rows into rules, and places their issues by form row', () => {
    const { rules, rows } = enrichmentFromForm({
      'rules.0.type': 'ids_alert, edr_alert', 'rules.0.query': 'IP_TO_HOSTNAME', 'rules.0.from': 'src_ip', 'rules.0.to': 'src_hostname',
      'rules.1.type': '', 'rules.1.query': '',
      'rules.2.source': 'duo', 'rules.2.query': 'NOPE', 'rules.2.from': 'username', 'rules.2.to': 'manager', 'rules.2.field': 'manager',
    });
    expect(rules).toEqual([
      { type: ['ids_alert', 'edr_alert'], query: 'IP_TO_HOSTNAME', from: 'src_ip', to: 'src_hostname' },
      { source: 'duo', query: 'NOPE', from: 'username', to: 'manager', field: 'manager' },
    ]);
    expect(rows).toEqual([0, 2]);
    expect(placeEnrichmentIssues(rows, [{ path: 'rules.1.query', message: 'no Positron query NOPE' }, { path: 'rules', message: 'too many' }])).toEqual({
      errors: { 'rules.2': 'query: no Positron query NOPE' },
      general: ['rules: too many'],
    });
  });
});
