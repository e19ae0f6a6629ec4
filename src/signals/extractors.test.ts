import { describe, expect, it } from 'vitest';
import {
  extractDomains,
  extractEmails,
  extractHashes,
  extractIps,
  extractUrls,
  getPath,
  hashKind,
  normalizeHostname,
  normalizeUsername,
  parsePath,
  toIsoTime,
  validPort,
} from './extractors.js';

describe('getPath', () => {
  const doc = {
    a: { b: [{ c: 1 }, { c: 2 }] },
    labels: { 'x.y': 'dotted', "it's": 'quoted' },
    matrix: [[0, [5]]],
    empty: null,
  };

  it('follows dotted keys and [n] indexes', () => {
    expect(getPath(doc, 'a.b[1].c')).toBe(2);
    expect(getPath(doc, 'a.b[0]')).toEqual({ c: 1 });
    expect(getPath(doc, 'matrix[0][1][0]')).toBe(5);
  });

  it('reads keys that contain dots when quoted', () => {
    expect(getPath(doc, 'labels["x.y"]')).toBe('dotted');
    expect(getPath(doc, "labels['x.y']")).toBe('dotted');
    expect(getPath(doc, `labels["it's"]`)).toBe('quoted');
    expect(getPath({ 'x.y': { z: 3 } }, '["x.y"].z')).toBe(3);
  });

  it('gives undefined for absent values, non-objects and prototype keys', () => {
    expect(getPath(doc, 'a.nope.c')).toBeUndefined();
    expect(getPath(doc, 'a.b[7].c')).toBeUndefined();
    expect(getPath(doc, 'empty.x')).toBeUndefined();
    expect(getPath(doc, 'labels.x.y')).toBeUndefined();
    expect(getPath(doc, 'a.constructor')).toBeUndefined();
    expect(getPath('text', 'length')).toBeUndefined();
    expect(getPath(doc, 'empty')).toBeNull();
  });

  it('gives undefined for a malformed path, and parsePath says why', () => {
    expect(getPath(doc, 'a..b')).toBeUndefined();
    expect(() => parsePath('a..b')).toThrow(/empty key/);
    expect(() => parsePath('a.b[x]')).toThrow(/index must be/);
    expect(() => parsePath('a["x.y]')).toThrow(/unterminated/);
    expect(() => parsePath('a.')).toThrow(/ends with/);
    expect(() => parsePath('')).toThrow(/empty/);
    expect(() => parsePath('a[0')).toThrow(/missing "]"/);
    expect(() => parsePath('a[0]b')).toThrow(/expected "\." or "\["/);
    expect(parsePath('a.b[0]["x.y"]')).toEqual(['a', 'b', 0, 'x.y']);
  });
});

describe('user and host names', () => {
  it('drops a DOMAIN\\ prefix, trims and lower-cases user names', () => {
    expect(normalizeUsername('EIP\\Administrator')).toBe('administrator');
    expect(normalizeUsername('  Alice@Example.COM ')).toBe('alice@example.com');
    expect(normalizeUsername('WIN-IA9NQ1GN8OI\\bit9rad')).toBe('bit9rad');
  });

  it('treats empty, "null" and non-strings as missing', () => {
    for (const missing of ['', '   ', 'null', 'NULL', 'DOM\\', null, undefined, 42, {}]) {
      expect(normalizeUsername(missing)).toBeUndefined();
      expect(normalizeHostname(missing)).toBeUndefined();
    }
  });

  it('normalizes host names and refuses IP addresses', () => {
    expect(normalizeHostname('QA\\SM-2K16')).toBe('sm-2k16');
    expect(normalizeHostname('Host.Example.COM.')).toBe('host.example.com');
    expect(normalizeHostname('142.11.240.191')).toBeUndefined();
    expect(normalizeHostname('2001:db8::1')).toBeUndefined();
  });
});

describe('indicators in free text', () => {
  it('finds IPv4 and IPv6 addresses in canonical form, once each', () => {
    const text = 'from 010.001.002.003:443 to 2001:DB8:0:0:0:0:0:1, again 10.1.2.3 and [::ffff:192.0.2.7]; v 1.2.3.4.5, 999.1.1.1';
    expect(extractIps(text)).toEqual(['10.1.2.3', '2001:db8::1', '192.0.2.7']);
  });

  it('does not take times, MAC addresses or a bare "::" as IPv6, nor the quad inside an IPv6 twice', () => {
    expect(extractIps('at 12:30:45 mac 00:1a:2b:3c:4d:5e ns std::vector')).toEqual([]);
    expect(extractIps('nat64 64:ff9b::1.2.3.4')).toEqual(['64:ff9b::102:304']);
    expect(extractIps('addr fe80::1: link down')).toEqual(['fe80::1']);
  });

  it('finds e-mail addresses, lower-cased', () => {
    expect(extractEmails('to Alice@Example.com, cc bob.smith+x@mail.example.org; again alice@example.com')).toEqual([
      'alice@example.com',
      'bob.smith+x@mail.example.org',
    ]);
    expect(extractEmails('user@localhost is not one')).toEqual([]);
  });

  it('finds domains, not IPs, not e-mail domains, not file names', () => {
    const text = 'GET http://www.TestMyIDs.com/x from 10.0.0.1 by alice@corp.example.com ran cmd.exe and run.js; see example.net.';
    expect(extractDomains(text)).toEqual(['www.testmyids.com', 'example.net']);
    expect(extractDomains('version 1.2.3 and xn--bcher-kva.example ok')).toEqual(['xn--bcher-kva.example']);
  });

  it('finds http(s) URLs without the punctuation that follows them', () => {
    const text = 'See https://example.com/a?b=1. Also (http://x.test/path) and <https://y.test/a_(b)>, ftp://no.test';
    expect(extractUrls(text)).toEqual(['https://example.com/a?b=1', 'http://x.test/path', 'https://y.test/a_(b)']);
    expect(extractUrls('http:// nothing')).toEqual([]);
  });

  it('finds word-bounded hashes by length, lower-cased', () => {
    const md5 = 'C9A2A42D383E64B45D57BBEA77CFBC8C';
    const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
    const sha256 = 'cb67bdbbbd4ae997204d76eae913dac7117fe3f0ef8a42a3255f64266496898b';
    const text = `md5=${md5} sha1:${sha1} ${sha256} ${sha256} x${md5} ${md5}0 ${md5.toLowerCase()}`;
    expect(extractHashes(text)).toEqual({ md5: [md5.toLowerCase()], sha1: [sha1], sha256: [sha256] });
  });

  it('names a digest by its length', () => {
    expect(hashKind('028228c7068de998d9251c82e61d13a4')).toBe('md5');
    expect(hashKind('DA39A3EE5E6B4B0D3255BFEF95601890AFD80709')).toBe('sha1');
    expect(hashKind('a'.repeat(64))).toBe('sha256');
    expect(hashKind('g'.repeat(32))).toBeUndefined();
    expect(hashKind('a'.repeat(33))).toBeUndefined();
  });
});

describe('scalars', () => {
  it('accepts ports 1..65535 from numbers or digit strings', () => {
    expect(validPort(443)).toBe(443);
    expect(validPort('8443')).toBe(8443);
    expect(validPort(65535)).toBe(65535);
    for (const bad of [0, -56229888, 891355136, 65536, 1.5, '80a', '', null, undefined, NaN]) {
      expect(validPort(bad)).toBeUndefined();
    }
  });

  it('keeps ISO times with an offset as given and refuses impossible dates', () => {
    expect(toIsoTime('2017-04-07T22:24:37.251547+0100')).toBe('2017-04-07T22:24:37.251547+0100');
    expect(toIsoTime('2020-06-26T11:00:03.342282-04:00')).toBe('2020-06-26T11:00:03.342282-04:00');
    expect(toIsoTime('2017-09-31T22:23:07.777Z')).toBeUndefined();
    expect(toIsoTime('2017-09-30T22:23:07')).toBeUndefined(); // no offset: zone unknown
    expect(toIsoTime('yesterday')).toBeUndefined();
    expect(toIsoTime(null)).toBeUndefined();
  });

  it('turns epoch seconds and milliseconds into ISO Z', () => {
    expect(toIsoTime(1532951962)).toBe('2018-07-30T11:59:22.000Z');
    expect(toIsoTime(1532951962123)).toBe('2018-07-30T11:59:22.123Z');
    expect(toIsoTime('1532951962')).toBe('2018-07-30T11:59:22.000Z');
    expect(toIsoTime(Infinity)).toBeUndefined();
  });
});
