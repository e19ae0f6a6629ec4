// The second set of published Suricata EVE alerts (shared/fixtures/vendor-samples-2), with the fields a SOC
// analyst names from Suricata's EVE JSON documentation: the outcome (allowed or blocked) in the type, every
// address on the wire, the instant the record names, and what a decoder alert without addresses still has.
import { describe, expect, it } from 'vitest';
import { parseEventTimeMicros, type Signal } from '../../src/signals/signal.js';
import { readSample2Json } from '../../test/support/vendor-samples.js';
import { mapEve } from './map.js';

function map(file: string): Signal {
  const raw = readSample2Json(file);
  const [mapped, ...rest] = mapEve(raw);
  expect(rest).toEqual([]);
  expect(mapped?.error).toBeUndefined();
  expect(mapped!.signal!.raw).toEqual(raw);
  return mapped!.signal!;
}

/** The instant a time names, in microseconds since the epoch. */
const instant = (time: string) => parseEventTimeMicros(time);

describe('suricata source: second sample set', () => {
  it('S1: a TLS SNI alert names both ends and the SNI as a domain, at the -0400 instant', () => {
    const s = map('suricata-S1-tls-sni-minus0400.json');
    expect(s.type).toBe('ids_alert');
    expect(s.occurredAt).toBe('2018-07-05T15:07:20.910626-0400');
    expect(instant(s.occurredAt)).toBe(instant('2018-07-05T19:07:20.910626Z'));
    expect(s.severity).toBe('high');
    expect(s.title).toBe('ET POLICY Observed IP Lookup Domain (l2 .io in TLS SNI)');
    expect(s.artifacts).toEqual({
      src_ip: '192.168.86.85', src_port: 55641, dst_ip: '192.168.156.70', dst_port: 443, proto: 'TCP',
      signature: 'ET POLICY Observed IP Lookup Domain (l2 .io in TLS SNI)', signature_id: 2024833,
      category: 'Potential Corporate Privacy Violation', domain: 'l2.io',
    });
  });

  it('S2: an HTTP alert names the Host as a domain, the URL, both addresses and both MAC addresses, at +0100', () => {
    const s = map('suricata-S2-http-plus0100.json');
    expect(s.type).toBe('ids_alert');
    expect(s.occurredAt).toBe('2021-01-27T01:28:11.488362+0100');
    expect(instant(s.occurredAt)).toBe(instant('2021-01-27T00:28:11.488362Z'));
    expect(s.severity).toBe('medium');
    expect(s.artifacts).toEqual({
      src_ip: '81.2.69.143', src_port: 80, dst_ip: '10.31.64.240', dst_port: 47592, proto: 'TCP',
      src_mac: '00:03:2d:3f:e5:63', dst_mac: '00:1b:17:00:01:18',
      signature: 'GPL ATTACK_RESPONSE id check returned root', signature_id: 2100498, category: 'Potentially Bad Traffic',
      domain: 'testmynids.org', url: 'http://testmynids.org/uid/index.html',
    });
    expect(s.artifacts.hostname).toBeUndefined();
  });

  it('S3: IPv6 addresses are canonical (RFC 5952), and the record\'s own src/dest are kept, not the flow\'s', () => {
    const s = map('suricata-S3-ipv6.json');
    expect(s.type).toBe('ids_alert');
    expect(s.occurredAt).toBe('2024-12-19T17:52:39.590661+0000');
    expect(s.artifacts).toMatchObject({
      src_ip: '2600:9000:2662:fa00:18:30b3:e400:93a1', src_port: 80,
      dst_ip: '2a02:842a:820e:1601:c369:71f8:9da5:c6a4', dst_port: 44030,
      domain: 'testmynids.org', url: 'http://testmynids.org/uid/index.html',
    });
  });

  it('S4: a decoder alert without addresses, ports or flow is stored with what it has, not refused', () => {
    const s = map('suricata-S4-decoder-no-ips.json');
    expect(s.type).toBe('ids_alert');
    expect(s.severity).toBe('low');
    expect(s.occurredAt).toBe('2024-12-19T17:51:34.369295+0000');
    // Empty addresses and port 0 are "not there", never an address.
    expect(s.artifacts).toEqual({ signature_id: 2200003, signature: 'SURICATA IPv4 truncated packet', category: 'Generic Protocol Command Decode' });
    expect(s.id).toBe(':2200003::2024-12-19T17:51:34.369295+0000');
  });

  it('S5: an HTTP Host that is an IP address is neither a domain nor a hostname; the URL keeps it', () => {
    const s = map('suricata-S5-host-is-ip.json');
    expect(s.artifacts).toMatchObject({ src_ip: '10.0.4.4', src_port: 57584, dst_ip: '169.254.169.254', dst_port: 80, url: 'http://169.254.169.254/metadata/instance?api-version=2018-02-01' });
    expect(s.artifacts.domain).toBeUndefined();
    expect(s.artifacts.hostname).toBeUndefined();
    expect(s.artifacts.category).toBeUndefined();
  });

  it('an alert an inline Suricata blocked is typed apart from one it let through', () => {
    const raw = readSample2Json<Record<string, any>>('suricata-S2-http-plus0100.json');
    const [blocked] = mapEve({ ...raw, alert: { ...raw.alert, action: 'blocked' } });
    expect(blocked?.signal?.type).toBe('ids_alert_blocked');
  });
});
