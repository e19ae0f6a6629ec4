import { describe, expect, it } from 'vitest';
import { mapEvents } from '../../src/signals/ingest.js';
import { parseEventsBody } from '../../src/signals/body.js';
import { normalizeTypeName } from '../../src/signals/normalize.js';
import { parseEventTimeMicros, type Signal } from '../../src/signals/signal.js';
import { cloudSeverity, edrSeverity, mapCarbonBlack } from './map.js';
import { expectedFor, readSample as read, sampleEvent as sample, type ExpectedSample } from '../../test/support/vendor-samples.js';

interface Expected extends ExpectedSample {
  time: string;
  severity: number | string;
  username: string;
  hostname: string;
  src_ip: string;
  extra: {
    alert_type: string;
    device_internal_ip?: string | null;
    process_name: string;
    sha256: string | null;
    md5: string;
  };
}

const expected = expectedFor<Expected>('carbonblack');

/** Maps through the same path as the webhook: the mapper, then the Signal schema check in mapEvents. */
function ingestOne(event: unknown): Signal {
  const signals = mapEvents('carbonblack', { map: mapCarbonBlack }, [{ index: 0, event }]);
  expect(signals).toHaveLength(1);
  return signals[0]!;
}

/** The severity a vendor value maps to: 1..10 numbers are Cloud, strings such as "40.5" are the EDR 0..100 score. */
const expectedSeverity = (s: number | string) => (typeof s === 'number' ? cloudSeverity(s) : edrSeverity(s));

describe('carbonblack mapper, against the shared vendor samples', () => {
  it('covers the four documented alerts', () => {
    expect(expected).toHaveLength(4);
  });

  it.each(expected.map((e) => [`${e.file} ${e.locator}`, e] as const))('maps %s field by field', (_name, e) => {
    const raw = sample(e);
    const signal = ingestOne(raw);
    expect(signal.id).toBe(e.id);
    expect(signal.source).toBe('carbonblack');
    expect(normalizeTypeName(signal.type)).toBe(normalizeTypeName(e.type));
    expect(parseEventTimeMicros(signal.occurredAt)).toBe(parseEventTimeMicros(e.time));
    expect(signal.severity).toBe(expectedSeverity(e.severity));
    expect(signal.artifacts.username).toBe(e.username);
    expect(signal.artifacts.hostname).toBe(e.hostname);
    expect(signal.artifacts.src_ip).toBe(e.src_ip);
    expect(signal.artifacts.process).toBe(e.extra.process_name);
    expect(signal.artifacts.sha256).toBe(e.extra.sha256 ?? undefined);
    expect(signal.artifacts.md5).toBe(e.extra.md5);
    if ('device_internal_ip' in e.extra) expect(signal.artifacts.internal_ip).toBe(e.extra.device_internal_ip ?? undefined);
    expect(signal.raw).toEqual(raw);
  });

  it('maps the severity scales: Cloud 1..10 and the EDR 0..100 score given as a string', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(cloudSeverity)).toEqual([
      'info', 'info', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical',
    ]);
    expect(cloudSeverity(0)).toBeUndefined();
    expect(cloudSeverity(11)).toBeUndefined();
    expect(['0', '19.9', '20', '40.5', '60', '80', '100'].map(edrSeverity)).toEqual([
      'info', 'info', 'low', 'medium', 'high', 'critical', 'critical',
    ]);
    expect(edrSeverity('abc')).toBeUndefined();
    // The samples: C1 severity 3, C2 1, C3 5, C4 "40.5".
    const bySeverity = expected.map((e) => ingestOne(sample(e)).severity);
    expect(bySeverity).toEqual(['low', 'info', 'medium', 'medium']);
  });

  it('never takes an out-of-range netconn port as dst_port (C1), but keeps a valid one', () => {
    const c1 = JSON.parse(read('carbonblack/cbc-syslog-mock_alerts-CB_ANALYTICS_ALERT.json')) as Record<string, unknown>;
    const signal = ingestOne(c1);
    expect(signal.artifacts.dst_port).toBeUndefined();
    expect(signal.artifacts.src_port).toBeUndefined();
    expect(signal.artifacts.dst_ip).toBe('10.128.65.193');
    expect(Object.values(signal.artifacts)).not.toContain(-56229888);
    expect(Object.values(signal.artifacts)).not.toContain(891355136);
    expect(ingestOne({ ...c1, netconn_remote_port: 4444 }).artifacts.dst_port).toBe(4444);
  });

  it('makes alert_url a link: scheme added, the stray spaces removed (C2)', () => {
    const c2 = ingestOne(JSON.parse(read('carbonblack/cbc-sdk-mock_alerts_v7-MOST_RECENT_ALERT.json')));
    expect(c2.link).toBe('https://defense.conferdeploy.net/alerts?s[c][query_string]=id:887e6bbc-6224-4f36-ad37-084038b7fcab&orgKey=ABC12345');
    expect(c2.artifacts.internal_ip).toBeUndefined(); // C2 has no device_internal_ip
    const c1 = ingestOne(JSON.parse(read('carbonblack/cbc-syslog-mock_alerts-CB_ANALYTICS_ALERT.json')));
    expect(c1.link).toBe('https://defense.conferdeploy.net/alerts?s[c][query_string]=id:4ef0639c-4b4f-11d1-5695-d74e9dc506ec&orgKey=7DESJ9GN');
  });

  it('keeps an md5-only EDR alert without a sha256 (C4)', () => {
    const c4 = ingestOne(JSON.parse(read('carbonblack/cb-event-forwarder-edr-alert.watchlist.hit.query.process-0.json')));
    expect(c4.artifacts.md5).toBe('028228c7068de998d9251c82e61d13a4');
    expect('sha256' in c4.artifacts).toBe(false);
    expect(c4.artifacts.signature).toBe('Chrome');
    expect(c4.title).toBe('chrome.exe hit watchlist "Chrome"');
    expect(c4.link).toBeUndefined();
  });

  it('drops DOMAIN\\ prefixes from user and host names (C3)', () => {
    const c3 = ingestOne(JSON.parse(read('carbonblack/elastic-cbc-alert_v7-test-alert-watchlist-line1.jsonl').trim()));
    expect([c3.artifacts.username, c3.artifacts.hostname]).toEqual(['administrator', 'ww-20002']);
    expect(c3.artifacts.signature).toBe('Execution - AMSI - New Fileless Scheduled Task Behavior Detected');
  });

  it('maps every alert of the derived NDJSON file, and each result of a Cloud search answer', () => {
    const body = Buffer.from(read('carbonblack/ALL.derived.jsonl'));
    const signals = mapEvents('carbonblack', { map: mapCarbonBlack }, parseEventsBody(body, 'application/x-ndjson'));
    expect(signals.map((s) => s.id)).toEqual(expected.map((e) => e.id));

    const cloud = expected.slice(0, 3).map(sample);
    const answer = mapCarbonBlack({ results: cloud, num_found: 3 });
    expect(answer.map((m) => [m.index, m.signal?.id])).toEqual(expected.slice(0, 3).map((e, i) => [i, e.id]));
  });

  it('says what is wrong with an event it cannot map', () => {
    expect(mapCarbonBlack('text')[0]?.error).toMatch(/expected a JSON object/);
    expect(mapCarbonBlack({ foo: 1 })[0]?.error).toMatch(/not a Carbon Black alert/);
    expect(mapCarbonBlack({ id: 'x', backend_timestamp: '2023-02-30T00:00:00Z' })[0]?.error).toMatch(/backend_timestamp/);
    expect(mapCarbonBlack({ unique_id: 'u', alert_type: 'watchlist.hit.query.process' })[0]?.error).toMatch(/created_time/);
    expect(mapCarbonBlack({ id: '', backend_timestamp: '2023-01-01T00:00:00Z' })[0]?.error).toMatch(/^malformed .*id/);
  });
});
