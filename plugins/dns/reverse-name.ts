// The PTR owner name of an address (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa nibbles).
import { canonicalIp } from '../../src/signals/normalize.js';

/** e.g. 10.0.0.5 -> 5.0.0.10.in-addr.arpa; 2001:db8::1 -> 1.0.0.0. ... .8.b.d.0.1.0.0.2.ip6.arpa */
export function reverseName(ip: string): string {
  // Canonical first: IPv4-mapped IPv6 becomes IPv4, and IPv6 comes as plain hex groups.
  const canonical = canonicalIp(ip);
  if (!canonical) throw new Error(`${JSON.stringify(ip)} is not an IP address`);
  if (!canonical.includes(':')) return `${canonical.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head, tail] = canonical.includes('::') ? (canonical.split('::') as [string, string]) : [canonical, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const nibbles = groups.map((g) => g.padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}
