// The pure mappings: data types with config overrides, tags, close statuses, Retry-After.
import { describe, expect, it } from 'vitest';
import { theHiveConfig } from './config.js';
import { caseTags, closePatch, dataTypeTable, reopenPatch, toTheHiveObservables } from './mapping.js';
import { parseRetryAfter } from './http.js';

const config = (extra: Record<string, unknown> = {}) => theHiveConfig.parse({ url: 'https://thehive.example.com', ...extra });

describe('thehive mapping', () => {
  it('fills the config defaults, including the nested ones', () => {
    expect(config()).toMatchObject({
      version: 5,
      apiKeyEnv: 'THEHIVE_API_KEY',
      timeoutMs: 10_000,
      customFields: { caseId: 'taser-case-id', alertIds: 'taser-alert-ids' },
      alerts: { type: 'taser', source: 'taser' },
    });
    expect(() => config({ version: 3 })).toThrow();
    expect(() => config({ apiKeyEnv: 'not a name' })).toThrow();
  });

  it('lays the configured data types over the defaults; null drops one', () => {
    const table = dataTypeTable(config({ dataTypes: { hostname: 'fqdn', Process: { dataType: 'other', tags: ['process'] }, username: null } }));
    const out = toTheHiveObservables(
      [
        { field: 'hostname', value: 'ws-12.corp' },
        { field: 'process', value: 'cmd.exe' },
        { field: 'username', value: 'bob' },
        { field: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      ],
      table,
      'ignore',
    );
    expect(out).toEqual([
      { dataType: 'fqdn', data: 'ws-12.corp', tags: [] },
      { dataType: 'other', data: 'cmd.exe', tags: ['process'] },
      { dataType: 'hash', data: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', tags: ['sha1'] },
    ]);
  });

  it('sends each (dataType, value) once and skips empty values', () => {
    const out = toTheHiveObservables(
      [
        { field: 'src_ip', value: '10.0.0.1' },
        { field: 'dst_ip', value: '10.0.0.1' },
        { field: 'ip', value: '  ' },
      ],
      dataTypeTable(config()),
      'other',
    );
    expect(out).toEqual([{ dataType: 'ip', data: '10.0.0.1', tags: ['src_ip'] }]);
  });

  it('tags the case with its team and taser id, no repeats, within 128 characters', () => {
    expect(caseTags({ caseId: 'c1', team: 'appsec', tags: ['okta', 'okta', 'x'.repeat(200)] })).toEqual(['okta', 'x'.repeat(128), 'Team:appsec', 'taser:case:c1']);
    expect(caseTags({ caseId: 'c1', tags: [] })).toEqual(['taser:case:c1']);
  });

  it('closes by status in TheHive 5 and by resolutionStatus in TheHive 4', () => {
    expect(closePatch(5, { resolution: 'duplicate', summary: 'same as #4' }, 'NotApplicable')).toEqual({ status: 'Duplicated', summary: 'same as #4', impactStatus: 'NotApplicable' });
    expect(closePatch(4, { resolution: 'false_positive', summary: ' ' }, 'NoImpact')).toEqual({
      status: 'Resolved',
      resolutionStatus: 'FalsePositive',
      summary: 'Closed in taser as false positive',
      impactStatus: 'NoImpact',
    });
    expect(reopenPatch(5)).toEqual({ status: 'InProgress' });
    expect(reopenPatch(4)).toEqual({ status: 'Open' });
  });

  it('reads Retry-After as seconds or a date', () => {
    const now = Date.parse('2026-11-29T23:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 23:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 22:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
