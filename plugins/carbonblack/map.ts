// Carbon Black alerts -> `edr_alert` signals. Three shapes arrive:
// - Carbon Black Cloud alerts (v7 API, data forwarder, cbc-syslog): `id`, `backend_timestamp`, `device_*`,
//   `process_*`, severity 1..10. CB_ANALYTICS alerts add `netconn_*`.
// - Carbon Black EDR (Response) event forwarder `watchlist.hit.*`/`feed.*` alerts: `unique_id`, `created_time`,
//   `alert_severity` as a 0..100 score (often a string, "40.5"), md5 only.
// - A Cloud search answer `{ results: [alert, ...] }`: each result is mapped.
import { z } from 'zod';
import type { MappedSignal } from '../../src/plugins/types.js';
import type { ArtifactValue, Severity, Signal } from '../../src/signals/signal.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { hashKind, normalizeHostname, normalizeUsername, toIsoTime, validPort } from '../../src/signals/extractors.js';

export const SOURCE_NAME = 'carbonblack';
export const SIGNAL_TYPE = 'edr_alert';
/** A Cloud alert whose activity the sensor stopped (the policy was applied): the outcome is part of the type. */
export const SIGNAL_TYPE_BLOCKED = 'edr_alert_blocked';

const text = z.string().nullish();
const anyValue = z.unknown().optional();

const cloudAlert = z.looseObject({
  id: z.string().min(1),
  backend_timestamp: anyValue,
  create_time: anyValue, // v6 alerts
  severity: anyValue,
  type: text,
  reason: text,
  alert_url: text,
  device_name: text,
  device_username: text,
  device_external_ip: text,
  device_internal_ip: text,
  process_name: text,
  process_sha256: text,
  process_md5: text,
  report_name: text,
  watchlists: z.array(z.looseObject({ name: text })).nullish(),
  netconn_remote_ip: text,
  netconn_remote_ipv4: text,
  netconn_remote_port: anyValue,
  netconn_remote_domain: text,
  netconn_local_ip: text,
  netconn_local_ipv4: text,
  netconn_local_port: anyValue,
  k8s_namespace: text,
  k8s_pod_name: text,
  k8s_workload_name: text,
  sensor_action: text,
  policy_applied: text,
  run_state: text,
});
type CloudAlert = z.infer<typeof cloudAlert>;

const edrAlert = z.looseObject({
  unique_id: z.string().min(1),
  alert_type: z.string(),
  created_time: anyValue,
  event_timestamp: anyValue,
  alert_severity: anyValue,
  watchlist_name: text,
  feed_name: text,
  username: text,
  hostname: text,
  interface_ip: anyValue,
  process_name: text,
  process_path: text,
  md5: text,
  sha256: text,
  process_sha256: text,
});
type EdrAlert = z.infer<typeof edrAlert>;

const FIVE_LEVELS: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

function toNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Cloud severity 1..10: 1-2 info, 3-4 low, 5-6 medium, 7-8 high, 9-10 critical. */
export function cloudSeverity(value: unknown): Severity | undefined {
  const n = toNumber(value);
  if (n === undefined || n < 1 || n > 10) return undefined;
  return FIVE_LEVELS[Math.min(4, Math.floor((Math.round(n) - 1) / 2))];
}

/** EDR score 0..100: below 20 info, below 40 low, below 60 medium, below 80 high, 80 and above critical. */
export function edrSeverity(value: unknown): Severity | undefined {
  const n = toNumber(value);
  if (n === undefined || n < 0 || n > 100) return undefined;
  return FIVE_LEVELS[Math.min(4, Math.floor(n / 20))];
}

/** A hash of the expected kind, lower-cased; anything else (empty, wrong length) is left out. */
function hash(value: string | null | undefined, kind: 'md5' | 'sha256'): string | undefined {
  const h = value?.trim().toLowerCase();
  return h && hashKind(h) === kind ? h : undefined;
}

function ip(value: unknown): string | undefined {
  return typeof value === 'string' ? canonicalIp(value.trim()) : undefined;
}

/** The console link: Carbon Black sends it without a scheme, and some payloads carry stray spaces. */
function consoleLink(url: string | null | undefined): string | undefined {
  const compact = url?.replace(/\s+/g, '');
  if (!compact) return undefined;
  const link = /^https?:\/\//i.test(compact) ? compact : `https://${compact}`;
  try {
    new URL(link);
    return link;
  } catch {
    return undefined;
  }
}

class ArtifactBag {
  readonly values: Record<string, ArtifactValue> = {};
  put(field: string, value: ArtifactValue | null | undefined): void {
    if (value !== undefined && value !== null && value !== '') this.values[field] = value;
  }
  /** Adds a second value to a field that may already hold one (a device's external and local address). */
  add(field: string, value: string | number | null | undefined): void {
    if (value === undefined || value === null || value === '') return;
    const have = this.values[field];
    if (have === undefined) this.values[field] = value;
    else if (Array.isArray(have) ? !have.includes(value) : have !== value) this.values[field] = [...(Array.isArray(have) ? have : [have]), value];
  }
}

function mapCloud(a: CloudAlert, raw: Record<string, unknown>): Signal | string {
  const occurredAt = toIsoTime(a.backend_timestamp ?? a.create_time);
  if (!occurredAt) return `backend_timestamp: ${JSON.stringify(a.backend_timestamp ?? a.create_time ?? null)} is not a valid time`;
  const artifacts = new ArtifactBag();
  artifacts.put('username', normalizeUsername(a.device_username));
  artifacts.put('hostname', normalizeHostname(a.device_name));
  artifacts.put('src_ip', ip(a.device_external_ip));
  artifacts.put('internal_ip', ip(a.device_internal_ip));
  artifacts.put('process', a.process_name?.trim());
  artifacts.put('sha256', hash(a.process_sha256, 'sha256'));
  artifacts.put('md5', hash(a.process_md5, 'md5'));
  artifacts.put('category', a.type?.trim().toLowerCase());
  artifacts.put('signature', a.report_name ?? a.watchlists?.find((w) => w.name)?.name);
  // The remote end of a CB Analytics network connection. Fixtures carry ports far outside 1..65535
  // (-56229888): validPort drops those rather than record a port that cannot exist.
  artifacts.put('dst_ip', ip(a.netconn_remote_ip) ?? ip(a.netconn_remote_ipv4));
  artifacts.put('dst_port', validPort(a.netconn_remote_port));
  artifacts.put('domain', normalizeHostname(a.netconn_remote_domain));
  // The local end of a container's connection (CONTAINER_RUNTIME has no device): the pod's address, the only
  // one that names it. A device's local end is its internal_ip already.
  if (a.type?.trim().toUpperCase() === 'CONTAINER_RUNTIME') {
    artifacts.add('src_ip', ip(a.netconn_local_ip) ?? ip(a.netconn_local_ipv4));
    artifacts.put('src_port', validPort(a.netconn_local_port));
  }
  artifacts.put('k8s_namespace', a.k8s_namespace?.trim());
  artifacts.put('k8s_pod', a.k8s_pod_name?.trim());
  artifacts.put('k8s_workload', a.k8s_workload_name?.trim());

  const severity = cloudSeverity(a.severity);
  const link = consoleLink(a.alert_url);
  return {
    id: a.id,
    source: SOURCE_NAME,
    type: wasBlocked(a) ? SIGNAL_TYPE_BLOCKED : SIGNAL_TYPE,
    occurredAt,
    ...(severity ? { severity } : {}),
    ...(a.reason ? { title: a.reason } : {}),
    artifacts: artifacts.values,
    ...(link ? { link } : {}),
    raw,
  };
}

/** The sensor denied, blocked or terminated what the alert is about, or it never ran (Alerts v7 fields). */
function wasBlocked(a: CloudAlert): boolean {
  const action = a.sensor_action?.trim().toUpperCase();
  return (action !== undefined && ['DENY', 'BLOCK', 'TERMINATE'].includes(action))
    || a.policy_applied?.trim().toUpperCase() === 'APPLIED'
    || a.run_state?.trim().toUpperCase() === 'DID_NOT_RUN';
}

function mapEdr(a: EdrAlert, raw: Record<string, unknown>): Signal | string {
  const occurredAt = toIsoTime(a.created_time ?? a.event_timestamp);
  if (!occurredAt) return `created_time: ${JSON.stringify(a.created_time ?? a.event_timestamp ?? null)} is not a valid time`;
  const artifacts = new ArtifactBag();
  artifacts.put('username', normalizeUsername(a.username));
  artifacts.put('hostname', normalizeHostname(a.hostname));
  // EDR reports the sensor's interface address: it is both the device's (internal) address and the source.
  artifacts.put('src_ip', ip(a.interface_ip));
  artifacts.put('internal_ip', ip(a.interface_ip));
  artifacts.put('process', a.process_name?.trim() || a.process_path?.trim());
  artifacts.put('sha256', hash(a.process_sha256 ?? a.sha256, 'sha256'));
  artifacts.put('md5', hash(a.md5, 'md5'));
  artifacts.put('category', a.alert_type.trim().toLowerCase());
  artifacts.put('signature', a.watchlist_name ?? a.feed_name);

  const severity = edrSeverity(a.alert_severity);
  const what = a.watchlist_name ? `watchlist "${a.watchlist_name}"` : a.feed_name ? `feed "${a.feed_name}"` : a.alert_type;
  const title = a.process_name ? `${a.process_name} hit ${what}` : `Carbon Black EDR ${what} hit`;
  return {
    id: a.unique_id,
    source: SOURCE_NAME,
    type: SIGNAL_TYPE,
    occurredAt,
    ...(severity ? { severity } : {}),
    title,
    artifacts: artifacts.values,
    raw,
  };
}

function mapAlert(event: unknown, index: number): MappedSignal {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return { index, error: 'not a Carbon Black alert (expected a JSON object)' };
  const raw = event as Record<string, unknown>;
  let result: Signal | string;
  if ('unique_id' in raw && 'alert_type' in raw) {
    const parsed = edrAlert.safeParse(raw);
    result = parsed.success ? mapEdr(parsed.data, raw) : `malformed Carbon Black EDR alert: ${describe(parsed.error)}`;
  } else if ('id' in raw && ('backend_timestamp' in raw || 'create_time' in raw)) {
    const parsed = cloudAlert.safeParse(raw);
    result = parsed.success ? mapCloud(parsed.data, raw) : `malformed Carbon Black Cloud alert: ${describe(parsed.error)}`;
  } else {
    result =
      'not a Carbon Black alert: expected a Cloud alert (id, backend_timestamp) or an EDR event-forwarder alert (unique_id, alert_type)';
  }
  return typeof result === 'string' ? { index, error: result } : { index, signal: result };
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Maps one alert, or each alert of a Cloud search answer `{ results: [...] }`. */
export function mapCarbonBlack(body: unknown): MappedSignal[] {
  if (body && typeof body === 'object' && !Array.isArray(body) && Array.isArray((body as { results?: unknown }).results)) {
    return ((body as { results: unknown[] }).results).map((event, index) => mapAlert(event, index));
  }
  return [mapAlert(body, 0)];
}
