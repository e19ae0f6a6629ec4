import { describe, expect, it } from 'vitest';
import { parseRule, RuleError } from '../correlation/rule.js';

const base = { id: 'r1', severity: 'high', expr: '[ ( 1 okta_new_country ) ] IN [ 1 hour ] WITH [ username ] IN COMMON' };

describe('the rule option confirm', () => {
  it('is parsed beside the compact form, with defaults', () => {
    const rule = parseRule({ ...base, confirm: { timeout: '30m', onYes: 'close', businessHours: { timezone: 'Europe/Amsterdam', holidays: ['2026-12-25'] } } }, 'rules[0]');
    expect(rule.confirm).toMatchObject({ field: 'username', timeout: 1_800_000, managerTimeout: 14_400_000, onYes: 'close', escalateAtOnce: [], page: 'critical', businessHours: { timezone: 'Europe/Amsterdam', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' } });
    expect(parseRule(base, 'rules[0]').confirm).toBeUndefined();
  });

  it('refuses what is out of bounds, naming the rule and the field', () => {
    const problems = (confirm: unknown) => {
      try {
        parseRule({ ...base, confirm }, 'rules[0]');
      } catch (err) {
        return (err as RuleError).problems.join('\n');
      }
      return '';
    };
    expect(problems({ timeout: '500ms' })).toContain('rule "r1": confirm.timeout: must be between 1 second and 14 days');
    expect(problems({ managerTimeout: '15d' })).toContain('confirm.managerTimeout: must be between 1 second and 14 days');
    expect(problems({ onYes: 'maybe' })).toContain('confirm.onYes');
    expect(problems({ escalateAtOnce: ['urgent'] })).toContain('confirm.escalateAtOnce.0');
    expect(problems({ businessHours: { timezone: 'Nowhere/Land' } })).toContain('confirm.businessHours.timezone: an IANA timezone');
    expect(problems({ surprise: true })).toContain('confirm');
  });
});
