// "Most useful artifacts" of an alert: a ranked, de-duplicated pick across its signals. Sources name the same
// thing differently (user / username / user_name), so fields are folded to one canonical name first; values
// are de-duplicated by their normalized form (SEMANTICS.md), keeping the first spelling seen for display.
import { normalizeValue } from '../signals/normalize.js';
import type { Signal } from '../signals/signal.js';
import { own } from '../app/own.js';

export type CardKind = 'identity' | 'endpoint' | 'network' | 'generic';

const ALIASES: Record<string, string> = {
  user: 'username',
  user_name: 'username',
  account: 'username',
  account_name: 'username',
  mail: 'email',
  user_email: 'email',
  host: 'hostname',
  host_name: 'hostname',
  computer: 'hostname',
  device_name: 'hostname',
  source_ip: 'src_ip',
  client_ip: 'src_ip',
  srcip: 'src_ip',
  dest_ip: 'dst_ip',
  destination_ip: 'dst_ip',
  dstip: 'dst_ip',
  source_port: 'src_port',
  dest_port: 'dst_port',
  destination_port: 'dst_port',
  fqdn: 'domain',
  sni: 'domain',
  process_name: 'process',
  process_path: 'process',
  command_line: 'cmdline',
  rule: 'signature',
  signature_name: 'signature',
  location: 'geo',
  state: 'region',
  // Sources name places geo_* (Okta, Duo): one name for the card.
  geo_city: 'city',
  geo_region: 'region',
  geo_state: 'region',
  geo_country: 'country',
  geo_location: 'geo',
};

/** The canonical name of an artifact field ("User Name" -> "username"). */
export function canonicalField(field: string): string {
  const key = field.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return own(ALIASES, key) ?? key;
}

// The order a person looks at first, overall and per kind of card; fields not listed follow, the most
// widespread first.
const GENERIC = ['username', 'email', 'hostname', 'src_ip', 'dst_ip', 'domain', 'url', 'sha256', 'sha1', 'md5', 'process', 'signature'];
const PREFERENCES: Record<CardKind, string[]> = {
  generic: GENERIC,
  identity: ['username', 'email', 'src_ip', 'geo', 'country', 'city', 'user_agent', 'app', 'factor', ...GENERIC],
  endpoint: ['hostname', 'username', 'process', 'cmdline', 'sha256', 'sha1', 'md5', 'parent_process', 'src_ip', ...GENERIC],
  network: ['src_ip', 'dst_ip', 'dst_port', 'signature', 'domain', 'url', 'proto', 'src_port', ...GENERIC],
};

export interface ArtifactField {
  field: string;
  /** Distinct values, the most frequent first (ties: first seen first). */
  values: string[];
  /** How many signals carry the field. */
  signals: number;
}

/** Every artifact field of the signals, canonical and de-duplicated, ranked for the kind of card. */
export function rankArtifacts(signals: Signal[], kind: CardKind): ArtifactField[] {
  const fields = new Map<string, { values: Map<string, { text: string; count: number; order: number }>; signals: number; order: number }>();
  let order = 0;
  for (const signal of signals) {
    const seenInSignal = new Set<string>();
    for (const [rawField, raw] of Object.entries(signal.artifacts ?? {})) {
      const field = canonicalField(rawField);
      if (!field) continue;
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        const key = normalizeValue(value);
        if (key === undefined) continue;
        let entry = fields.get(field);
        if (!entry) fields.set(field, (entry = { values: new Map(), signals: 0, order: order++ }));
        if (!seenInSignal.has(field)) {
          seenInSignal.add(field);
          entry.signals++;
        }
        const v = entry.values.get(key);
        if (v) v.count++;
        else entry.values.set(key, { text: String(value).trim(), count: 1, order: order++ });
      }
    }
  }
  const preference = PREFERENCES[kind];
  const rank = (field: string) => {
    const i = preference.indexOf(field);
    return i < 0 ? preference.length : i;
  };
  return [...fields.entries()]
    .sort(([a, x], [b, y]) => rank(a) - rank(b) || y.signals - x.signals || x.order - y.order)
    .map(([field, entry]) => ({
      field,
      signals: entry.signals,
      values: [...entry.values.values()].sort((a, b) => b.count - a.count || a.order - b.order).map((v) => v.text),
    }));
}
