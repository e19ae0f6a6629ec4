import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlugins } from '../../src/plugins/loader.js';
import { mapEvents } from '../../src/signals/ingest.js';
import { parseEventsBody } from '../../src/signals/body.js';
import { parseEventTimeMicros } from '../../src/signals/signal.js';
import { sourceMappingSchema, webhookConfigSchema } from './config.js';
import { createMapper } from './map.js';
import { expectedSamples, readSample as read, type ExpectedSample } from '../../test/support/vendor-samples.js';

const PLUGIN_DIR = fileURLToPath(new URL('.', import.meta.url));

interface Expected extends ExpectedSample {
  username: string;
  src_ip: string;
}
const expected = expectedSamples<Expected>();
const row = (file: string, locator: string) => expected.find((e) => e.file === file && e.locator === locator)!;

/** Maps a body the way the webhook route does: split into events, mapped, validated against the Signal schema. */
function ingest(name: string, mapping: Record<string, unknown>, body: string) {
  const m = sourceMappingSchema.parse(mapping);
  return mapEvents(name, { map: createMapper(name, m) }, parseEventsBody(Buffer.from(body), undefined));
}

// Okta System Log events as an Okta event hook delivers them (data.events) or as an API page (a JSON array).
const oktaEvent = {
  id: 'uuid',
  type: 'eventType',
  occurredAt: 'published',
  severity: 'severity',
  severityMap: { DEBUG: 'info', INFO: 'info', WARN: 'medium', ERROR: 'high' },
  title: 'displayMessage',
  artifacts: {
    username: 'actor.alternateId',
    src_ip: 'client.ipAddress',
    geo_city: 'client.geographicalContext.city',
    geo_country: 'client.geographicalContext.country',
  },
};

describe('webhook mapper, configured for the shared Okta and Duo samples', () => {
  it('maps an Okta event hook envelope (events at data.events) field by field (O1)', () => {
    const e = row('okta/okta-docs-event-hook-user.session.start-success.json', 'data.events[0]');
    const [signal, ...rest] = ingest('okta-hook', { ...oktaEvent, events: 'data.events' }, read(e.file));
    expect(rest).toEqual([]);
    expect(signal).toMatchObject({ id: e.id, source: 'okta-hook', type: 'user.session.start', severity: 'info', title: 'User login to Okta' });
    expect(parseEventTimeMicros(signal!.occurredAt)).toBe(parseEventTimeMicros(e.time!));
    expect(signal!.artifacts).toEqual({ username: e.username, src_ip: e.src_ip, geo_city: e.geo!.city, geo_country: e.geo!.country });
    expect(signal!.raw).toEqual((JSON.parse(read(e.file)) as { data: { events: unknown[] } }).data.events[0]);
  });

  it('maps an array body event by event, with severityMap (O3: WARN -> medium)', () => {
    const e = row('okta/stix-shifter-okta-user.session.start-failure.json', '[0]');
    const [signal] = ingest('okta-api', oktaEvent, read(e.file));
    expect(signal).toMatchObject({ id: e.id, severity: 'medium', artifacts: { username: e.username, src_ip: e.src_ip, geo_city: e.geo!.city } });
    expect(parseEventTimeMicros(signal!.occurredAt)).toBe(parseEventTimeMicros(e.time!));
  });

  it('refuses an event whose time cannot exist, naming the field and path (O2: 2017-09-31)', () => {
    const e = row('okta/okta-docs-systemlog-reference-example-logevent.json', '(whole file)');
    expect(() => ingest('okta-api', oktaEvent, read(e.file))).toThrow(/event 0: occurredAt: "2017-09-31T22:23:07.777Z" at "published" is not/);
  });

  it('maps Duo authlogs: epoch seconds, the "null" hostname, a constant type (D1)', () => {
    const e = row('duo/duo_api_golang-admin-logs_test-getAuthLogsResponse.json', 'response.authlogs[0]');
    const duo = {
      id: 'txid',
      type: { value: 'duo_auth' },
      occurredAt: 'timestamp',
      artifacts: { username: 'user.name', src_ip: 'access_device.ip', hostname: 'access_device.hostname', auth_device_ip: 'auth_device.ip' },
      events: 'response.authlogs',
    };
    const [signal] = ingest('duo', duo, read(e.file));
    expect(signal).toMatchObject({ id: e.id, type: 'duo_auth', occurredAt: '2018-07-30T11:59:22.000Z' });
    expect(parseEventTimeMicros(signal!.occurredAt)).toBe(parseEventTimeMicros(e.time!));
    expect(signal!.artifacts).toEqual({ username: e.username, src_ip: e.src_ip, auth_device_ip: '192.168.225.254' });
  });

  it('maps Duo NDJSON lines with their ISO time (D2..D4)', () => {
    const rows = expected.filter((x) => x.file === 'duo/elastic-cisco_duo-auth-test-auth.jsonl');
    const duo = { id: 'txid', type: 'result', occurredAt: 'isotimestamp', artifacts: { username: 'user.name', src_ip: 'access_device.ip' } };
    const signals = ingest('duo', duo, read(rows[0]!.file));
    expect(signals.map((s) => [s.id, s.type, parseEventTimeMicros(s.occurredAt), s.artifacts.username, s.artifacts.src_ip])).toEqual(
      rows.map((x) => [x.id, expect.any(String), parseEventTimeMicros(x.time!), x.username, x.src_ip]),
    );
    expect(signals.map((s) => s.type)).toEqual(['success', 'fraud', 'denied']);
  });
});

describe('webhook mapper, event by event', () => {
  const mapping = sourceMappingSchema.parse({
    id: 'alert.id',
    type: { value: 'test_alert' },
    occurredAt: 'alert.at',
    severity: 'alert.level',
    link: 'alert.url',
    artifacts: { src_ip: 'net.src', dst_port: 'net.dport', hostname: 'labels["host.name"]', md5: 'file.md5', username: 'users' },
    tags: 'alert.tags',
  });
  const map = createMapper('test', mapping);
  const good = {
    alert: { id: 42, at: 1700000000000, level: 'HIGH', url: 'https://console.example/a/42', tags: ['Team:AppSec', 'x'] },
    net: { src: '010.000.000.001', dport: '443' },
    labels: { 'host.name': 'CORP\\Web-01' },
    file: { md5: 'C9A2A42D383E64B45D57BBEA77CFBC8C' },
    users: ['CORP\\Alice', 'alice', 'null', 'Bob'],
  };

  it('normalizes values by field: quoted keys, IPs, ports, hashes, user lists', () => {
    const [m] = map(good);
    expect(m?.error).toBeUndefined();
    expect(m!.signal).toMatchObject({
      id: '42',
      type: 'test_alert',
      occurredAt: '2023-11-14T22:13:20.000Z',
      severity: 'high',
      link: 'https://console.example/a/42',
      tags: ['Team:AppSec', 'x'],
      artifacts: { src_ip: '10.0.0.1', dst_port: 443, hostname: 'web-01', md5: 'c9a2a42d383e64b45d57bbea77cfbc8c', username: ['alice', 'bob'] },
    });
  });

  it('names the path of each missing required value', () => {
    const [m] = map({ alert: {} });
    expect(m?.error).toBe('id: no value at "alert.id"; occurredAt: no value at "alert.at"');
    expect(createMapper('t', { ...mapping, type: 'kind' })({ alert: { id: 'a', at: 0 } })[0]?.error).toBe('type: no value at "kind"');
  });

  it('refuses values that cannot be what their field says', () => {
    const bad = { ...good, alert: { ...good.alert, level: 'sev9', url: 'javascript:alert(1)' }, net: { src: 'not-an-ip', dport: 70000 }, file: { md5: 'abc' } };
    const error = map(bad)[0]?.error ?? '';
    expect(error).toContain('severity: "sev9" is not one of info|low|medium|high|critical (at "alert.level")');
    expect(error).toContain('link: "javascript:alert(1)" at "alert.url" is not an http(s) URL');
    expect(error).toContain('artifacts.src_ip: "not-an-ip" is not an IP address (at "net.src")');
    expect(error).toContain('artifacts.dst_port: 70000 is not a port (1..65535) (at "net.dport")');
    expect(error).toContain('artifacts.md5: "abc" is not a md5 hex digest (at "file.md5")');
  });

  it('leaves out optional values that are absent, and a hostname that is an IP address', () => {
    const [m] = map({ alert: { id: 'a', at: '2024-01-01T00:00:00+02:00' }, labels: { 'host.name': '10.0.0.9' } });
    expect(m!.signal).toMatchObject({ id: 'a', occurredAt: '2024-01-01T00:00:00+02:00', artifacts: {} });
    expect(m!.signal!.severity).toBeUndefined();
  });

  it('reports a non-object event and an envelope without its events array', () => {
    expect(map('hello')[0]?.error).toMatch(/not a JSON object/);
    const enveloped = createMapper('t', { ...mapping, events: 'data.events' });
    expect(enveloped({ data: {} })).toEqual([{ index: 0, error: 'events: no array at "data.events"' }]);
    expect(enveloped({ data: { events: [good, 7] } }).map((m) => [m.index, m.error === undefined])).toEqual([[0, true], [1, false]]);
  });
});

describe('webhook config', () => {
  const load = (sources: unknown) => loadPlugins({ folders: [PLUGIN_DIR], settings: { webhook: { enabled: true, sources } } });

  it('registers one source per configured name', async () => {
    const loaded = await load({ alpha: { id: 'id', type: { value: 'x' }, occurredAt: 't' }, 'beta-2': { id: 'id', type: 'k', occurredAt: 't' } });
    expect([...loaded.routes.sources.keys()]).toEqual(['alpha', 'beta-2']);
  });

  it('rejects a bad path, naming the field', async () => {
    await expect(load({ alpha: { id: 'id', type: { value: 'x' }, occurredAt: 't', artifacts: { src_ip: 'net..src' } } })).rejects.toThrow(
      /plugins\.webhook\.sources\.alpha\.artifacts\.src_ip: bad path "net\.\.src" at character 5: empty key/,
    );
    await expect(load({ alpha: { id: 'a[x]', type: { value: 'x' }, occurredAt: 't' } })).rejects.toThrow(/sources\.alpha\.id: bad path/);
  });

  it('rejects other mistakes with the field they are in', () => {
    const issues = (config: unknown) => {
      const r = webhookConfigSchema.safeParse(config);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ sources: {} })).toEqual(['sources: configure at least one source']);
    expect(issues({ sources: { alpha: { id: 'id', type: { value: 'x' }, occurredAt: 't', severityMap: { '1': 'low' } } } })).toEqual([
      'sources.alpha.severityMap: severityMap needs severity (the path to map from)',
    ]);
    expect(issues({ sources: { alpha: { id: 'id', type: { value: 'x' }, occurredAt: 't', severity: 's', severityMap: { '1': 'urgent' } } } })[0]).toMatch(
      /^sources\.alpha\.severityMap\.1: /,
    );
    expect(issues({ sources: { Alpha: { id: 'id', type: { value: 'x' }, occurredAt: 't' } } })[0]).toMatch(/source name/);
    expect(issues({ sources: { alpha: { id: 'id', type: { value: 'x' } } } })[0]).toMatch(/^sources\.alpha\.occurredAt: /);
  });
});
