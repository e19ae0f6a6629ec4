// The pure parts: how Slack errors map to retry decisions, `/taser alerts` arguments, snooze keys, lookups.
import { describe, expect, it } from 'vitest';
import { classifySlackError, channelProblem } from './slack-errors.js';
import { parseAlertsArgs } from './commands.js';
import { snoozeKey } from './snoozes.js';
import { lookupsFor } from './lookups.js';
import { backoffMs, permalink } from './deliveries.js';
import { configSchema } from './config.js';

describe('classifySlackError', () => {
  it('waits as asked on 429, retries 5xx and network errors, gives up on the rest', () => {
    expect(classifySlackError({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 })).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 7 });
    expect(classifySlackError({ code: 'slack_webapi_http_error', statusCode: 502 })).toMatchObject({ kind: 'transient' });
    expect(classifySlackError({ code: 'slack_webapi_http_error', statusCode: 400 })).toMatchObject({ kind: 'permanent' });
    expect(classifySlackError({ code: 'slack_webapi_request_error', message: 'ECONNRESET' })).toMatchObject({ kind: 'transient' });
    expect(classifySlackError({ code: 'slack_webapi_platform_error', data: { error: 'not_in_channel' } })).toEqual({ kind: 'permanent', error: 'not_in_channel', code: 'not_in_channel' });
    expect(classifySlackError({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } })).toMatchObject({ kind: 'transient' });
    expect(classifySlackError(new Error('template exploded'))).toEqual({ kind: 'permanent', error: 'template exploded' });
    expect(channelProblem('not_in_channel', 'C1')).toMatch(/\/invite @taser/);
    expect(channelProblem('invalid_blocks', 'C1')).toBeUndefined();
  });
});

describe('parseAlertsArgs', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  it('takes status, team and since in any order', () => {
    expect(parseAlertsArgs(['24h', 'AppSec', 'open'], now)).toEqual({ status: 'open', team: 'appsec', since: new Date('2026-11-19T12:00:00Z') });
    expect(parseAlertsArgs(['failed'], now)).toEqual({ failed: true });
    expect(parseAlertsArgs(['2026-11-01'], now).since?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
  it('says what is wrong with an argument', () => {
    expect(() => parseAlertsArgs(['9zz'], now)).toThrow(/neither a duration/);
    expect(() => parseAlertsArgs(['<!channel>'], now)).toThrow(/not a status/);
  });
});

describe('small helpers', () => {
  it('keys a snooze by rule and group whatever the field order', () => {
    expect(snoozeKey('r', { a: '1', b: '2' })).toBe(snoozeKey('r', { b: '2', a: '1' }));
    expect(snoozeKey('r', { a: '1' })).not.toBe(snoozeKey('r2', { a: '1' }));
  });
  it('offers one lookup per artifact value, for fields a standard query answers', () => {
    expect(lookupsFor({ artifacts: ['src_ip=10.0.0.1', '10.0.0.1', 'dst_ip=10.0.0.1', 'username=alice', 'weird=x'] })).toEqual([
      { query: 'IP_TO_HOSTNAME', value: '10.0.0.1' },
      { query: 'USER_INFO', value: 'alice' },
    ]);
  });
  it('backs off exponentially up to five minutes, and links to a card', () => {
    const config = configSchema.parse({ retryBaseSeconds: 2 });
    expect([1, 2, 3].map((n) => backoffMs(config, n))).toEqual([2000, 4000, 8000]);
    expect(backoffMs(config, 30)).toBe(300_000);
    expect(permalink({ channel: 'C1', ts: '1700000000.000100' })).toBe('https://slack.com/archives/C1/p1700000000000100');
  });
});
