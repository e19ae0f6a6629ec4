// Positron lookups on an alert's artifacts: which standard query answers which artifact field.
import type { StoredAlert } from '../../src/correlation/alert-store.js';

const QUERY_BY_FIELD: Record<string, string> = {
  ip: 'IP_TO_HOSTNAME',
  src_ip: 'IP_TO_HOSTNAME',
  dst_ip: 'IP_TO_HOSTNAME',
  client_ip: 'IP_TO_HOSTNAME',
  hostname: 'HOSTNAME_TO_IP',
  domain: 'DOMAIN_INFO',
  username: 'USER_INFO',
  email: 'USER_INFO',
  sha256: 'HASH_REPUTATION',
  sha1: 'HASH_REPUTATION',
  md5: 'HASH_REPUTATION',
};
const MAX_LOOKUPS = 5;

export interface Lookup {
  query: string;
  value: string;
}

/** The lookups a card offers, from the alert's `field=value` artifacts, at most five, one per value. */
export function lookupsFor(alert: Pick<StoredAlert, 'artifacts'>): Lookup[] {
  const out: Lookup[] = [];
  const seen = new Set<string>();
  for (const artifact of alert.artifacts) {
    const eq = artifact.indexOf('=');
    if (eq <= 0) continue;
    const query = QUERY_BY_FIELD[artifact.slice(0, eq)];
    const value = artifact.slice(eq + 1);
    if (!query || !value || seen.has(`${query}\u0000${value}`)) continue;
    seen.add(`${query}\u0000${value}`);
    out.push({ query, value });
    if (out.length >= MAX_LOOKUPS) break;
  }
  return out;
}
