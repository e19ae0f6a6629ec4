import { describe, expect, it } from 'vitest';
import { canonicalIp, charClass, isCanonicalIPv4, isNormalized, isNormalValue, normalizeText, normalizeTypeName, normalizeTypeText, normalizeValue, normalizeValues } from './normalize.js';
import { prng } from '../../test/support/prng.js';

describe('artifact normalization', () => {
  it('trims, NFC-normalizes and lower-cases strings', () => {
    expect(normalizeValue(' Alice ')).toBe('alice');
    expect(normalizeValue('ALICE')).toBe(normalizeValue('alice'));
    expect(normalizeValue('Cafe\u0301')).toBe('caf\u00e9');
  });

  it('writes numbers as decimal strings', () => {
    expect(normalizeValue(443)).toBe('443');
    expect(normalizeValue('443')).toBe('443');
    expect(normalizeValue(1.5)).toBe('1.5');
  });

  it('treats empty strings and arrays as missing', () => {
    expect(normalizeValue('   ')).toBeUndefined();
    expect(normalizeValues([])).toEqual([]);
    expect(normalizeValues(['', ' '])).toEqual([]);
    expect(normalizeValues(undefined)).toEqual([]);
  });

  it('gives IPv4 addresses without leading zeros', () => {
    expect(canonicalIp('010.001.002.003')).toBe('10.1.2.3');
    expect(normalizeValue(' 192.168.000.001 ')).toBe('192.168.0.1');
    expect(canonicalIp('256.1.1.1')).toBeUndefined();
  });

  it('gives IPv6 addresses in RFC 5952 form', () => {
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // one zero group is not compressed
    expect(canonicalIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalIp('2001:db8::0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // equal runs: the first is compressed
  });

  it('gives an IPv4-mapped IPv6 address as IPv4', () => {
    expect(canonicalIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalIp('::FFFF:0a01:0203')).toBe('10.1.2.3');
    expect(normalizeValue('::ffff:192.168.1.1')).toBe(normalizeValue('192.168.1.1'));
  });

  it('collapses duplicate values inside one array', () => {
    expect(normalizeValues(['Alice', 'alice ', 'bob'])).toEqual(['alice', 'bob']);
  });

  it('compares type names with spaces, underscores and hyphens as one underscore', () => {
    expect(normalizeTypeName('SSO login from a new location')).toBe('sso_login_from_a_new_location');
    expect(normalizeTypeName('sso-login  from_a - new location')).toBe('sso_login_from_a_new_location');
  });

  it('gives type names that are already normal back as they are, exactly as the general path does', () => {
    const random = prng(13);
    const alphabet = 'az09_-_ AZ\t\u00e9\u0065\u0301';
    let same = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: Math.floor(random() * 10) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(normalizeTypeName(text), JSON.stringify(text)).toBe(normalizeTypeText(text));
      if (normalizeTypeText(text) === text) same++;
    }
    expect(same).toBeGreaterThan(1_000);
  });
});

describe('isNormalized', () => {
  it('is true only for text that normalizeValue leaves as it is', () => {
    for (const text of ['alice', 'host-7', 'a.b@c.d', 'user_1', 'x/y+z=w']) expect(isNormalized(text), text).toBe(true);
    for (const text of ['Alice', ' alice', '', '10.0.0.1', '010.001.002.003', '443', '::1', 'ﬁ', 'é']) expect(isNormalized(text), text).toBe(false);
  });

  it('never disagrees with normalizeValue on random text (when it says yes, the value is the text)', () => {
    const random = prng(9);
    const alphabet = 'abzAZ09.-_@/+=: \t\u00e9\u0065\u0301';
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      if (isNormalized(text)) expect(normalizeText(text), JSON.stringify(text)).toBe(text);
      expect(normalizeValue(text), JSON.stringify(text)).toBe(normalizeText(text));
    }
  });
});

describe('isNormalValue', () => {
  it('is isNormalized or isCanonicalIPv4, from the character classes ORed (the key intern reads them as it hashes)', () => {
    const random = prng(13);
    const alphabet = 'abzAZ0129.-_@/+=: \u00e9';
    let normal = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: Math.floor(random() * 16) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      let classes = 0;
      for (let k = 0; k < text.length; k++) classes |= charClass(text.charCodeAt(k));
      const expected = isNormalized(text) || isCanonicalIPv4(text);
      expect(isNormalValue(text, classes), JSON.stringify(text)).toBe(expected);
      if (expected) normal++;
    }
    for (const text of ['10.0.0.1', 'alice', 'a'.repeat(64), '192.168.1.255']) expect(isNormalValue(text, [...text].reduce((c, ch) => c | charClass(ch.charCodeAt(0)), 0)), text).toBe(true);
    for (const text of ['010.0.0.1', 'Alice', 'a'.repeat(65), '', '443']) expect(isNormalValue(text, [...text].reduce((c, ch) => c | charClass(ch.charCodeAt(0)), 0)), text).toBe(false);
    expect(normal).toBeGreaterThan(100);
  });
});

describe('isCanonicalIPv4', () => {
  it('is true exactly for IPv4 addresses that normalizeValue leaves as they are', () => {
    for (const text of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.10.200']) expect(isCanonicalIPv4(text), text).toBe(true);
    for (const text of ['010.0.0.1', '10.0.0.01', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', 'a.b.c.d', '1234.1.1.1', '443'])
      expect(isCanonicalIPv4(text), text).toBe(false);
  });

  it('agrees with canonicalIp on random dotted digits (true exactly when the canonical form is the text)', () => {
    const random = prng(11);
    const group = () => Array.from({ length: Math.floor(random() * 4) }, () => '0123456789'[Math.floor(random() * (random() < 0.3 ? 3 : 10))]).join('');
    let yes = 0;
    for (let i = 0; i < 30_000; i++) {
      const text = Array.from({ length: 3 + Math.floor(random() * 3) }, group).join('.');
      expect(isCanonicalIPv4(text), JSON.stringify(text)).toBe(canonicalIp(text) === text);
      expect(normalizeValue(text), JSON.stringify(text)).toBe(normalizeText(text));
      if (isCanonicalIPv4(text)) yes++;
    }
    expect(yes).toBeGreaterThan(500); // enough canonical addresses among them to mean something
  });
});
