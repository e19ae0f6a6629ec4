// Suricata EVE JSON -> signals. Only `event_type: "alert"` records become signals; the other EVE records
// (flow, dns, http, tls, stats...) that EVE forwarders interleave with alerts are skipped without error.
// A body that is not an EVE record at all is an error, so a misconfigured sender finds out.
import { z } from 'zod';
import type { MappedSignal } from '../../src/plugins/types.js';
import type { ArtifactValue, Severity, Signal } from '../../src/signals/signal.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { normalizeHostname, toIsoTime, validPort } from '../../src/signals/extractors.js';

export const SOURCE_NAME = 'suricata';
export const SIGNAL_TYPE = 'ids_alert';
/** An alert whose packet an inline (IPS) Suricata dropped: the outcome is part of the type. */
export const SIGNAL_TYPE_BLOCKED = 'ids_alert_blocked';

// The envelope every EVE record has; checked loosely (extra keys kept in raw).
const eveRecord = z.looseObject({ event_type: z.string(), timestamp: z.unknown() });

const alertRecord = z.looseObject({
  timestamp: z.string(),
  flow_id: z.union([z.number(), z.string()]).optional(),
  tx_id: z.union([z.number(), z.string()]).optional(),
  src_ip: z.string().optional(),
  src_port: z.unknown().optional(),
  dest_ip: z.string().optional(),
  dest_port: z.unknown().optional(),
  proto: z.string().optional(),
  ether: z.looseObject({ src_mac: z.string().optional(), dest_mac: z.string().optional() }).optional(),
  alert: z.looseObject({
    action: z.string().optional(),
    signature_id: z.number().int(),
    signature: z.string().optional(),
    category: z.string().optional(),
    severity: z.number().optional(),
  }),
  http: z.looseObject({ hostname: z.string().optional(), url: z.string().optional(), http_port: z.unknown().optional() }).optional(),
  tls: z.looseObject({ sni: z.string().optional() }).optional(),
  dns: z.unknown().optional(),
});
type AlertRecord = z.infer<typeof alertRecord>;

/** Suricata's priority: 1 is the most severe. 1 high, 2 medium, 3 low, anything above 3 info. */
export function suricataSeverity(priority: number | undefined): Severity | undefined {
  if (priority === undefined || !Number.isInteger(priority) || priority < 1) return undefined;
  return priority === 1 ? 'high' : priority === 2 ? 'medium' : priority === 3 ? 'low' : 'info';
}

/** The DNS name queried, in EVE v1 (`dns.rrname`) or v2 (`dns.query[0].rrname`, `dns.queries[0].rrname`). */
function dnsName(dns: unknown): unknown {
  if (!dns || typeof dns !== 'object') return undefined;
  const record = dns as Record<string, unknown>;
  if (record.rrname !== undefined) return record.rrname;
  for (const list of [record.query, record.queries]) {
    if (Array.isArray(list) && list[0] && typeof list[0] === 'object') return (list[0] as Record<string, unknown>).rrname;
  }
  return undefined;
}

/** http://host[:port]/path from the HTTP fields, when they name a host and a path (EVE logs cleartext HTTP only). */
function httpUrl(http: AlertRecord['http']): string | undefined {
  if (!http?.url || !http.hostname) return undefined;
  if (/^https?:\/\//i.test(http.url)) return http.url;
  if (!http.url.startsWith('/')) return undefined;
  const port = validPort(http.http_port);
  const host = http.hostname.includes(':') && canonicalIp(http.hostname) ? `[${http.hostname}]` : http.hostname;
  return `http://${host}${port && port !== 80 ? `:${port}` : ''}${http.url}`;
}

/** A MAC address in lower-case colon form, or nothing for anything else. */
function macAddress(value: string | undefined): string | undefined {
  const mac = value?.trim().toLowerCase();
  return mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) ? mac : undefined;
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function mapAlert(record: AlertRecord, raw: Record<string, unknown>): Signal | string {
  const occurredAt = toIsoTime(record.timestamp);
  if (!occurredAt) return `timestamp: ${JSON.stringify(record.timestamp)} is not an ISO-8601 time with an offset`;
  const { alert } = record;

  const artifacts: Record<string, ArtifactValue> = { signature_id: alert.signature_id };
  const put = (field: string, value: ArtifactValue | undefined) => {
    if (value !== undefined && value !== '') artifacts[field] = value;
  };
  put('src_ip', record.src_ip && canonicalIp(record.src_ip));
  put('src_port', validPort(record.src_port));
  put('dst_ip', record.dest_ip && canonicalIp(record.dest_ip));
  put('dst_port', validPort(record.dest_port));
  put('signature', alert.signature);
  put('category', alert.category);
  put('proto', record.proto);
  put('src_mac', macAddress(record.ether?.src_mac));
  put('dst_mac', macAddress(record.ether?.dest_mac));
  // The HTTP Host, TLS SNI and DNS query name are the name the client asked for (a domain), not the name of a
  // machine on either end, so they go to `domain`, never `hostname`.
  put('domain', normalizeHostname(record.http?.hostname) ?? normalizeHostname(record.tls?.sni) ?? normalizeHostname(dnsName(record.dns)));
  put('url', httpUrl(record.http));

  // Suricata has no alert id. A flow can raise several alerts (flow_id repeats), so the id adds the rule, the
  // transaction and the record's own timestamp: unique per alert, and the same when the record is resent.
  const id = `${record.flow_id ?? ''}:${alert.signature_id}:${record.tx_id ?? ''}:${record.timestamp}`;
  const severity = suricataSeverity(alert.severity);
  return {
    id,
    source: SOURCE_NAME,
    type: alert.action?.toLowerCase() === 'blocked' ? SIGNAL_TYPE_BLOCKED : SIGNAL_TYPE,
    occurredAt,
    ...(severity ? { severity } : {}),
    ...(alert.signature ? { title: alert.signature } : {}),
    artifacts,
    raw,
  };
}

/** Maps one EVE record: a signal for an alert, nothing for other event types, an error for anything else. */
export function mapEve(body: unknown): MappedSignal[] {
  const envelope = eveRecord.safeParse(body);
  if (!envelope.success) {
    return [{ index: 0, error: 'not a Suricata EVE record (expected a JSON object with "event_type" and "timestamp")' }];
  }
  if (envelope.data.event_type !== 'alert') return [];
  const parsed = alertRecord.safeParse(body);
  if (!parsed.success) return [{ index: 0, error: `malformed EVE alert: ${describe(parsed.error)}` }];
  const result = mapAlert(parsed.data, body as Record<string, unknown>);
  return [typeof result === 'string' ? { index: 0, error: result } : { index: 0, signal: result }];
}
