// The Duo mapper against real vendor samples (shared/fixtures/vendor-samples/duo), field by field against
// expected.json, and every trap EXPECTED.md names.
import { describe, expect, it } from 'vitest';
import { parseEventTimeMicros } from '../../src/signals/signal.js';
import type { MappedSignal } from '../../src/plugins/types.js';
import { mapEvents } from '../../src/signals/ingest.js';
import { mapDuoBody } from './map.js';
import { expectedFor, readSample as read, type ExpectedSample } from '../../test/support/vendor-samples.js';

interface Expected extends ExpectedSample {
  time: string;
  username: string;
  src_ip: string;
  extra: { factor: string; result: string; application: string };
}
const expected = expectedFor<Expected>('duo');

// EXPECTED.md describes types in words; these are the signal types this plugin gives them.
const TYPES: Record<string, string> = {
  'duo push success': 'duo_auth_success',
  'duo push denied': 'duo_push_denied',
  'duo push denied (fraud)': 'duo_push_fraud',
};
// Duo has no severity field: it follows the result.
const SEVERITIES: Record<string, string> = { success: 'info', denied: 'medium', fraud: 'high' };

function mapSample(e: Expected): MappedSignal {
  const text = read(e.file);
  const line = /^line (\d+)$/.exec(e.locator);
  if (line) return mapDuoBody(JSON.parse(text.split('\n')[Number(line[1]) - 1]!))[0]!;
  const mapped = mapDuoBody(JSON.parse(text)); // response.authlogs[0]: the whole v2 envelope goes in
  expect(mapped).toHaveLength(1);
  return mapped[0]!;
}
const line = (n: number) => JSON.parse(read('duo/elastic-cisco_duo-auth-test-auth.jsonl').split('\n')[n]!) as Record<string, any>;
const goEnvelope = () => JSON.parse(read('duo/duo_api_golang-admin-logs_test-getAuthLogsResponse.json')) as { response: { authlogs: Record<string, any>[] } };

describe('duo source: vendor samples', () => {
  it('has the samples EXPECTED.md lists', () => {
    expect(expected.map((e) => e.locator)).toEqual(['response.authlogs[0]', 'line 1', 'line 2', 'line 3']);
  });

  it.each(expected)('$file $locator maps field by field', (e) => {
    const mapped = mapSample(e);
    expect(mapped.error).toBeUndefined();
    const s = mapped.signal!;
    expect(s.id).toBe(e.id);
    expect(s.source).toBe('duo');
    expect(s.type).toBe(TYPES[e.type]);
    expect(parseEventTimeMicros(s.occurredAt)).toBe(parseEventTimeMicros(e.time));
    expect(s.severity).toBe(SEVERITIES[e.extra.result]);
    expect(s.artifacts.username).toBe(e.username.toLowerCase());
    expect(s.artifacts.src_ip).toBe(e.src_ip);
    expect(s.artifacts.geo_country).toBe('United States');
    expect(s.artifacts.geo_city).toBe('Ann Arbor');
    expect(s.artifacts.hostname).toBeUndefined(); // "null" in D1, null in the others
    expect(s.title).toContain(e.extra.application);
    if (e.username.includes('@')) expect(s.artifacts.email).toBe(e.username);
    else expect(s.artifacts.email).toBeUndefined(); // D3/D4: user "narroway", email ""
    expect(mapEvents('duo', { map: mapDuoBody }, [{ index: 0, event: s.raw }])).toHaveLength(1);
  });

  it('uses only the artifact vocabulary and its own two fields (auth_device_ip, application)', () => {
    const allowed = new Set(['username', 'email', 'src_ip', 'hostname', 'geo_country', 'geo_region', 'geo_city', 'auth_device_ip', 'application']);
    for (const e of expected) for (const field of Object.keys(mapSample(e).signal!.artifacts)) expect(allowed).toContain(field);
  });
});

describe('duo source: traps', () => {
  it('D1/D2 share a txid: one id, so the second is a duplicate (txid is the transaction; see map.ts)', () => {
    const [d1, d2] = [mapDuoBody(goEnvelope())[0]!.signal!, mapDuoBody(line(0))[0]!.signal!];
    expect(d1.occurredAt).not.toBe(d2.occurredAt);
    expect(d1.id).toBe(d2.id);
  });

  it('D1: without isotimestamp the epoch-seconds timestamp is the time; the string "null" is no hostname', () => {
    const log = goEnvelope().response.authlogs[0]!;
    expect(log.isotimestamp).toBeUndefined();
    expect(log.access_device.hostname).toBe('null');
    const s = mapDuoBody(log)[0]!.signal!;
    expect(Date.parse(s.occurredAt)).toBe(1532951962 * 1000);
    expect('hostname' in s.artifacts).toBe(false);
    log.access_device.hostname = 'LAPTOP-42.corp.example.com';
    expect(mapDuoBody(log)[0]!.signal!.artifacts.hostname).toBe('laptop-42.corp.example.com');
  });

  it('D3: fraud is its own outcome (duo_push_fraud), with a higher severity than D4 denied', () => {
    const d3 = mapDuoBody(line(1))[0]!.signal!;
    const d4 = mapDuoBody(line(2))[0]!.signal!;
    expect([d3.type, d3.severity]).toEqual(['duo_push_fraud', 'high']);
    expect([d4.type, d4.severity]).toEqual(['duo_push_denied', 'medium']);
    expect(d3.title).toContain('marked as fraud');
  });

  it('non-push denials and other results are duo_auth_<result>', () => {
    expect(mapDuoBody({ ...line(2), factor: 'phone_call' })[0]!.signal!.type).toBe('duo_auth_denied');
    expect(mapDuoBody({ ...line(1), factor: 'passcode' })[0]!.signal!.type).toBe('duo_auth_fraud');
    expect(mapDuoBody({ ...line(0), result: 'error' })[0]!.signal!.type).toBe('duo_auth_error');
    expect(mapDuoBody({ ...line(2), factor: 'verified_duo_push' })[0]!.signal!.type).toBe('duo_push_denied');
  });

  it('accepts an array, the v2 envelope and the v1 envelope with v1 field names', () => {
    expect(mapDuoBody([line(0), line(1), line(2)]).map((m) => m.signal!.id)).toEqual([
      '340a23e3-23f3-23c1-87dc-1491a23dfdbb',
      '78e1a910-350b-4226-828b-edb0ac2f2e3c',
      'e22120cd-7388-424f-aa0a-b60cad42d8f3',
    ]);
    const v1 = { txid: 'v1-tx-1', username: 'CORP\\Narroway', factor: 'Duo Push', result: 'FRAUD', ip: '89.160.20.156', timestamp: 1627024854, integration: 'VPN', location: { city: '-', country: 'United States' } };
    const [m] = mapDuoBody({ stat: 'OK', response: [v1] });
    expect(m!.signal).toMatchObject({ id: 'v1-tx-1', type: 'duo_push_fraud', severity: 'high', artifacts: { username: 'narroway', src_ip: '89.160.20.156', geo_country: 'United States' } });
    expect(m!.signal!.artifacts.geo_city).toBeUndefined(); // "-" is Duo's placeholder
  });

  it('answers an error, not a throw, for an entry it cannot map', () => {
    const noTxid = { ...line(0) };
    delete noTxid.txid;
    const badTime = { ...line(0), isotimestamp: '2021-02-30T00:00:00+00:00', timestamp: null };
    const mapped = mapDuoBody([noTxid, badTime, 'text', line(2)]);
    expect(mapped.map((m) => m.index)).toEqual([0, 1, 2, 3]);
    expect(mapped[0]!.error).toMatch(/not a Duo authentication log entry.*txid/);
    expect(mapped[1]!.error).toContain('2021-02-30');
    expect(mapped[2]!.error).toMatch(/not a Duo authentication log entry/);
    expect(mapped[3]!.signal?.id).toBe('e22120cd-7388-424f-aa0a-b60cad42d8f3');
  });
});
