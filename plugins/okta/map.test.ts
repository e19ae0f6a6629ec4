// The Okta mapper against real vendor samples (shared/fixtures/vendor-samples/okta), field by field against
// expected.json, and every trap EXPECTED.md names.
import { describe, expect, it } from 'vitest';
import { parseEventTimeMicros } from '../../src/signals/signal.js';
import type { MappedSignal } from '../../src/plugins/types.js';
import { mapEvents } from '../../src/signals/ingest.js';
import { mapOktaBody } from './map.js';
import { parseBraceMap } from './log-event.js';
import { expectedFor, readSample as read, type ExpectedSample } from '../../test/support/vendor-samples.js';

interface Expected extends ExpectedSample {
  severity: string | null;
  username: string;
  src_ip: string;
  geo: { city: string; country: string } | null;
  extra: { eventType: string };
}
const expected = expectedFor<Expected>('okta');

// EXPECTED.md describes types in words; these are the signal types this plugin gives them.
const TYPES: Record<string, string> = {
  'okta sso login success': 'sso_login',
  'okta sso login failure': 'sso_login_failed',
  'okta sso login new location': 'sso_login_new_location',
  'okta mfa success new location': 'mfa_new_location',
};
// Okta severity, raised to high when Okta rated the request HIGH risk.
const SEVERITIES: Record<string, string> = { INFO: 'info', WARN: 'medium', 'INFO (risk HIGH)': 'high', 'INFO (risk LOW)': 'info' };

/** What the locator names, mapped: the whole file goes through the mapper (envelopes included). */
function mapSample(e: Expected): MappedSignal {
  const text = read(e.file);
  const line = /^line (\d+)$/.exec(e.locator);
  if (line) return mapOktaBody(JSON.parse(text.split('\n')[Number(line[1]) - 1]!))[0]!;
  const mapped = mapOktaBody(JSON.parse(text));
  expect(mapped).toHaveLength(1); // data.events[0], [0] and (whole file) each hold one event
  return mapped[0]!;
}

const sampleEvent = (file: string, line = 0) => JSON.parse(read(file).split('\n')[line]!) as Record<string, any>;

describe('okta source: vendor samples', () => {
  it('has the samples EXPECTED.md lists', () => {
    expect(expected.map((e) => e.id)).toEqual([
      'f1d0b993-cc19-11ed-a688-db22c99ef6c4',
      'f790999f-fe87-467a-9880-6982a583986c',
      'e5056745-6640-11ed-869e-9507ab80c238',
      'faf7398a-4f77-11ea-97fb-5925e98228bd',
      'uuid',
    ]);
  });

  it.each(expected.filter((e) => e.time !== null))('$file $locator maps field by field', (e) => {
    const mapped = mapSample(e);
    expect(mapped.error).toBeUndefined();
    const s = mapped.signal!;
    expect(s.id).toBe(`${e.id}:${e.extra.eventType}`);
    expect(s.source).toBe('okta');
    expect(s.type).toBe(TYPES[e.type]);
    expect(parseEventTimeMicros(s.occurredAt)).toBe(parseEventTimeMicros(e.time!));
    expect(s.severity).toBe(SEVERITIES[e.severity!]);
    expect(s.artifacts.username).toBe(e.username.toLowerCase());
    expect(s.artifacts.email).toBe(e.username.toLowerCase()); // every sample's login is an e-mail address
    expect(s.artifacts.src_ip).toBe(e.src_ip);
    expect(s.artifacts.geo_country).toBe(e.geo!.country);
    expect(s.artifacts.geo_city).toBe(e.geo!.city);
    expect(s.title).toBe(JSON.parse(JSON.stringify(s.raw)).displayMessage);
    // The whole Signal contract holds (mapEvents validates it as ingestion does).
    expect(mapEvents('okta', { map: mapOktaBody }, [{ index: 0, event: s.raw }])).toHaveLength(1);
  });

  it('uses only the artifact vocabulary and its own fields (ip_chain, application, reason)', () => {
    const allowed = new Set(['username', 'target_username', 'email', 'src_ip', 'geo_country', 'geo_region', 'geo_city', 'ip_chain', 'application', 'reason']);
    for (const e of expected.filter((x) => x.time !== null)) {
      for (const field of Object.keys(mapSample(e).signal!.artifacts)) expect(allowed).toContain(field);
    }
  });
});

describe('okta source: traps', () => {
  it('O1: takes src_ip and geo from client.ipChain when there is no top-level request (and no ipAddress)', () => {
    const hook = JSON.parse(read('okta/okta-docs-event-hook-user.session.start-success.json'));
    const event = hook.data.events[0];
    expect(event.request).toBeUndefined();
    delete event.client.ipAddress;
    delete event.client.geographicalContext;
    const s = mapOktaBody(hook)[0]!.signal!;
    expect(s.artifacts).toMatchObject({ src_ip: '142.126.158.61', geo_city: 'Toronto', geo_country: 'Canada' });
  });

  it('O2: an impossible date is an error for that event, never a throw, and the others still map', () => {
    const o2 = JSON.parse(read('okta/okta-docs-systemlog-reference-example-logevent.json'));
    const o1 = JSON.parse(read('okta/okta-docs-event-hook-user.session.start-success.json')).data.events[0];
    let mapped: MappedSignal[] = [];
    expect(() => (mapped = mapOktaBody({ data: { events: [o1, o2] } }))).not.toThrow();
    expect(mapped[0]!.signal?.id).toBe('f1d0b993-cc19-11ed-a688-db22c99ef6c4:user.session.start');
    expect(mapped[1]!.index).toBe(1);
    expect(mapped[1]!.signal).toBeUndefined();
    expect(mapped[1]!.error).toContain('2017-09-31T22:23:07.777Z');
    expect(mapped[1]!.error).toContain('f790999f-fe87-467a-9880-6982a583986c');
  });

  it('O4: an unrelated event reusing the uuid is a different signal; a redelivery of the same event is not', () => {
    const o4 = sampleEvent('okta/elastic-okta-system-events-newgeo.jsonl', 0);
    const end: Record<string, unknown> = { ...structuredClone(o4), eventType: 'user.session.end', displayMessage: 'User logout from Okta' };
    delete end.debugContext;
    const ids = mapOktaBody([o4, end, structuredClone(o4)]).map((m) => m.signal!.id);
    expect(ids[0]).toBe('faf7398a-4f77-11ea-97fb-5925e98228bd:user.session.start');
    expect(ids[1]).toBe('faf7398a-4f77-11ea-97fb-5925e98228bd:user.session.end');
    expect(ids[2]).toBe(ids[0]);
    expect(mapOktaBody(end)[0]!.signal!.type).toBe('okta_user_session_end');
  });

  it('O5: the placeholder uuid still maps', () => {
    const s = mapOktaBody(sampleEvent('okta/elastic-okta-system-events-newgeo.jsonl', 1))[0]!.signal!;
    expect(s.id).toBe('uuid:user.authentication.auth_via_mfa');
    expect(s.type).toBe('mfa_new_location');
  });

  it('reads New Geo-Location in both encodings, and only when POSITIVE', () => {
    const o4 = sampleEvent('okta/elastic-okta-system-events-newgeo.jsonl', 0);
    const o5 = sampleEvent('okta/elastic-okta-system-events-newgeo.jsonl', 1);
    expect(mapOktaBody(o4)[0]!.signal!.type).toBe('sso_login_new_location'); // JSON string logOnlySecurityData
    expect(mapOktaBody(o5)[0]!.signal!.type).toBe('mfa_new_location'); // "{k=v, ...}" behaviors string

    o4.debugContext.debugData.logOnlySecurityData = o4.debugContext.debugData.logOnlySecurityData.replace('"New Geo-Location":"POSITIVE"', '"New Geo-Location":"NEGATIVE"');
    o5.debugContext.debugData.behaviors = o5.debugContext.debugData.behaviors.replace('New Geo-Location=POSITIVE', 'New Geo-Location=NEGATIVE');
    expect(mapOktaBody(o4)[0]!.signal!.type).toBe('sso_login');
    expect(mapOktaBody(o5)[0]!.signal!.type).toBe('okta_user_authentication_auth_via_mfa');

    // The same behaviour in a user.session.start's {k=v} string also makes a new-location login.
    const o1 = JSON.parse(read('okta/okta-docs-event-hook-user.session.start-success.json')).data.events[0];
    o1.debugContext.debugData.behaviors = '{New Geo-Location=POSITIVE, New Device=NEGATIVE}';
    expect(mapOktaBody(o1)[0]!.signal!.type).toBe('sso_login_new_location');
  });

  it('raises severity on HIGH risk in either encoding, and maps Okta severities', () => {
    const o5 = sampleEvent('okta/elastic-okta-system-events-newgeo.jsonl', 1);
    expect(mapOktaBody(o5)[0]!.signal!.severity).toBe('info');
    o5.debugContext.debugData.risk = '{reasons=Anomalous Location, Anomalous Device, level=HIGH}';
    expect(mapOktaBody(o5)[0]!.signal!.severity).toBe('high');
    expect(mapOktaBody({ ...o5, severity: 'ERROR', debugContext: null })[0]!.signal!.severity).toBe('high');
    expect(mapOktaBody({ ...o5, severity: 'DEBUG', debugContext: null })[0]!.signal!.severity).toBe('info');
    expect(mapOktaBody({ ...o5, severity: 'WARN', debugContext: null })[0]!.signal!.severity).toBe('medium');
  });

  it('parses {k=v} strings whose values contain ", "', () => {
    expect(parseBraceMap('{reasons=Anomalous Location, Anomalous Device, level=HIGH}')).toEqual({
      reasons: 'Anomalous Location, Anomalous Device',
      level: 'HIGH',
    });
    expect(parseBraceMap('{level=LOW}')).toEqual({ level: 'LOW' });
  });

  it('O3: a failed login is sso_login_failed; a non-person actor gives no username', () => {
    const [o3] = JSON.parse(read('okta/stix-shifter-okta-user.session.start-failure.json'));
    expect(mapOktaBody(o3)[0]!.signal!.type).toBe('sso_login_failed');
    const system = { ...o3, eventType: 'system.org.rate_limit.warning', actor: { type: 'SystemPrincipal', alternateId: 'system@okta.com' } };
    const s = mapOktaBody(system)[0]!.signal!;
    expect(s.type).toBe('okta_system_org_rate_limit_warning');
    expect(s.artifacts.username).toBeUndefined();
  });

  it('keeps the payload verbatim in raw', () => {
    const o3text = JSON.stringify(JSON.parse(read('okta/stix-shifter-okta-user.session.start-failure.json'))[0]);
    expect(JSON.stringify(mapOktaBody(JSON.parse(o3text))[0]!.signal!.raw)).toBe(o3text);
  });

  it('answers an error, not a throw, for what is not a LogEvent', () => {
    for (const body of [null, 'text', 42, {}, { uuid: 'x', published: '2023-01-01T00:00:00Z' }, [{ eventType: 1 }]]) {
      const mapped = mapOktaBody(body);
      expect(mapped).toHaveLength(1);
      expect(mapped[0]!.error).toMatch(/not an Okta LogEvent/);
    }
    expect(mapOktaBody({ data: { events: [] } })).toEqual([]);
  });
});
