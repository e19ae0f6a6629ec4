import { describe, expect, it } from 'vitest';
import { mapEvents } from '../../src/signals/ingest.js';
import { parseEventsBody } from '../../src/signals/body.js';
import { normalizeTypeName } from '../../src/signals/normalize.js';
import { parseEventTimeMicros, type Signal } from '../../src/signals/signal.js';
import { mapEve, suricataSeverity } from './map.js';
import { expectedFor, readSample as read, sampleEvent as sample, type ExpectedSample } from '../../test/support/vendor-samples.js';

interface Expected extends ExpectedSample {
  time: string;
  severity: number;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  extra: { signature: string; signature_id: number; category: string; hostname?: string; sni?: string; raw_timestamp?: string };
}

const expected = expectedFor<Expected>('suricata');

function mapOne(event: unknown): Signal {
  const [mapped, ...rest] = mapEve(event);
  expect(rest).toEqual([]);
  expect(mapped?.error).toBeUndefined();
  return mapped!.signal!;
}

const SEVERITY = { 1: 'high', 2: 'medium', 3: 'low' } as const;

describe('suricata mapper, against the shared vendor samples', () => {
  it('covers the five documented alerts', () => {
    expect(expected.map((e) => e.file + ' ' + e.locator)).toHaveLength(5);
  });

  it.each(expected.map((e) => [`${e.file} ${e.locator}`, e] as const))('maps %s field by field', (_name, e) => {
    const raw = sample(e);
    const signal = mapOne(raw);
    const flowId = e.id.replace(/^flow_id=/, '');
    expect(signal.id.startsWith(`${flowId}:${e.extra.signature_id}:`)).toBe(true);
    expect(signal.source).toBe('suricata');
    expect(normalizeTypeName(signal.type)).toBe(normalizeTypeName(e.type));
    expect(parseEventTimeMicros(signal.occurredAt)).toBe(parseEventTimeMicros(e.time));
    if (e.extra.raw_timestamp) expect(signal.occurredAt).toBe(e.extra.raw_timestamp);
    expect(signal.severity).toBe(SEVERITY[e.severity as 1 | 2 | 3]);
    expect(signal.title).toBe(e.extra.signature);
    expect(signal.artifacts.src_ip).toBe(e.src_ip);
    expect(signal.artifacts.src_port).toBe(e.src_port);
    expect(signal.artifacts.dst_ip).toBe(e.dst_ip);
    expect(signal.artifacts.dst_port).toBe(e.dst_port);
    expect(signal.artifacts.signature).toBe(e.extra.signature);
    expect(signal.artifacts.signature_id).toBe(e.extra.signature_id);
    expect(signal.artifacts.category).toBe(e.extra.category === '' ? undefined : e.extra.category);
    expect(signal.artifacts.proto).toBe(e.proto);
    // The HTTP Host / TLS SNI is the domain asked for, not a machine's hostname; an IP address is neither
    // (S2's http.hostname).
    const host = e.extra.hostname ?? e.extra.sni;
    expect(signal.artifacts.domain).toBe(host && !/^[\d.]+$/.test(host) ? host : undefined);
    expect(signal.artifacts.hostname).toBeUndefined();
    expect(signal.raw).toEqual(raw);
  });

  it('unescapes \\/ in HTTP fields and builds the URL (S3, S4)', () => {
    const s3 = mapOne(JSON.parse(read('suricata/suricata-verify-alert-testmyids-expected-eve.jsonl').trim()));
    expect(s3.artifacts.url).toBe('http://www.testmyids.com/');
    const s4 = mapOne(JSON.parse(read('suricata/elastic-beats-eve-alerts-first-and-last.jsonl').split('\n')[0]!));
    expect(s4.artifacts.url).toBe('http://example.net/');
    // S2's Host header carries a port: it is part of the URL.
    const s2 = mapOne(JSON.parse(read('suricata/suricata-docs-eve-json-format-flowid-alert.json')));
    expect(s2.artifacts.url).toBe('http://142.11.240.191:35361/');
  });

  it('keeps a non-UTC offset as given, at the right instant (S1 +0100, S5 -0400)', () => {
    const s1 = mapOne(JSON.parse(read('suricata/suricata-docs-eve-json-format-example1-alert.json')));
    expect(s1.occurredAt).toBe('2017-04-07T22:24:37.251547+0100');
    expect(new Date(Date.parse(s1.occurredAt)).toISOString()).toBe('2017-04-07T21:24:37.251Z');
  });

  it('gives two alerts on one flow different ids, and a resent alert the same id', () => {
    const s2 = JSON.parse(read('suricata/suricata-docs-eve-json-format-flowid-alert.json')) as Record<string, any>;
    const other = { ...s2, alert: { ...s2.alert, signature_id: 2045002 } };
    const later = { ...s2, timestamp: '2023-09-18T06:13:42.000000+0000' };
    const ids = [s2, other, later].map((e) => mapOne(e).id);
    expect(new Set(ids).size).toBe(3);
    expect(mapOne(structuredClone(s2)).id).toBe(ids[0]);
  });

  it('maps Suricata priorities 1/2/3 to high/medium/low, above 3 to info', () => {
    expect([1, 2, 3, 4, 255].map((p) => suricataSeverity(p))).toEqual(['high', 'medium', 'low', 'info', 'info']);
    expect(suricataSeverity(undefined)).toBeUndefined();
  });

  it('takes the domain from tls.sni or dns when there is no http.hostname', () => {
    const base = JSON.parse(read('suricata/suricata-docs-eve-json-format-example1-alert.json')) as Record<string, unknown>;
    expect(mapOne({ ...base, tls: { sni: 'Evil.Example.' } }).artifacts.domain).toBe('evil.example');
    expect(mapOne({ ...base, dns: { query: [{ rrname: 'c2.example.org' }] } }).artifacts.domain).toBe('c2.example.org');
    expect(mapOne({ ...base, dns: { rrname: '10.0.0.1' } }).artifacts.domain).toBeUndefined();
  });

  it('skips non-alert EVE records without error, and rejects what is not EVE', () => {
    const flow = { timestamp: '2023-09-18T06:13:41.532140+0000', flow_id: 1, event_type: 'flow', src_ip: '10.0.0.1' };
    expect(mapEve(flow)).toEqual([]);
    expect(mapEve({ hello: 'world' })[0]?.error).toMatch(/not a Suricata EVE record/);
    expect(mapEve([1, 2])[0]?.error).toMatch(/not a Suricata EVE record/);
    const noSid = { timestamp: '2023-09-18T06:13:41Z', event_type: 'alert', alert: { signature: 'x' } };
    expect(mapEve(noSid)[0]?.error).toMatch(/alert\.signature_id/);
    const badTime = { timestamp: '2023-02-30T00:00:00Z', event_type: 'alert', alert: { signature_id: 1 } };
    expect(mapEve(badTime)[0]?.error).toMatch(/timestamp/);
  });

  it('ingests an NDJSON body mixing flow, dns and alert records: one signal per alert', () => {
    const body = [
      JSON.stringify({ timestamp: '2016-07-13T22:42:07.000000+0000', flow_id: 5, event_type: 'flow' }),
      read('suricata/suricata-verify-alert-testmyids-expected-eve.jsonl').trim(),
      JSON.stringify({ timestamp: '2016-07-13T22:42:07.100000+0000', event_type: 'dns', dns: { rrname: 'x.example' } }),
      read('suricata/elastic-beats-eve-alerts-first-and-last.jsonl').trim(),
    ].join('\n');
    const signals = mapEvents('suricata', { map: mapEve }, parseEventsBody(Buffer.from(body), 'application/x-ndjson'));
    expect(signals.map((s) => s.artifacts.signature_id)).toEqual([2100498, 2013028, 2610003]);
  });
});
