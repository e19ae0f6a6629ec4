import { describe, expect, it } from 'vitest';
import { reverseName } from './reverse-name.js';

describe('reverseName', () => {
  it('reverses IPv4 octets under in-addr.arpa, without leading zeros', () => {
    expect(reverseName('192.0.2.77')).toBe('77.2.0.192.in-addr.arpa');
    expect(reverseName('010.000.000.005')).toBe('5.0.0.10.in-addr.arpa');
  });

  it('spells IPv6 out as 32 reversed nibbles under ip6.arpa', () => {
    expect(reverseName('2001:db8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(reverseName('2001:DB8:1234:5678:9abc:def0:1:2')).toBe('2.0.0.0.1.0.0.0.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(reverseName('::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa');
    expect(reverseName('fe80::')).toBe('0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa');
  });

  it('looks an IPv4-mapped IPv6 address up as IPv4', () => {
    expect(reverseName('::ffff:10.0.0.5')).toBe('5.0.0.10.in-addr.arpa');
  });

  it('refuses what is not an address', () => {
    expect(() => reverseName('web01')).toThrow(/not an IP address/);
  });
});
