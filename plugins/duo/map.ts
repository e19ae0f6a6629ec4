// Duo authentication logs -> Signals. Accepts one authlog, an array, or the Admin API response envelopes
// { response: { authlogs: [...] } } (v2) and { response: [...] } (v1). Never throws: an entry it cannot map
// becomes an error naming the problem.
//
// Types carry the outcome: a push (duo_push, verified_duo_push) that was denied is `duo_push_denied`, one the
// user marked as fraud `duo_push_fraud` (a rule that wants both lists both); every other authentication is
// `duo_auth_<result>`: duo_auth_success, duo_auth_denied, duo_auth_fraud, duo_auth_error. An enrollment (v2
// event_type "enrollment") is `duo_enrollment`, not a login.
//
// Id: the txid, Duo's id of one authentication transaction. The same txid again is a redelivery of that
// authentication (overlapping poll pages, a webhook retry, the same event seen through v1 and v2 with
// different time encodings), which deduplication on (source, id) exists to absorb: counting it twice would
// fire "N denied pushes" rules on one push. The shared-txid pair in our vendor samples (D1/D2) is two edits of
// Duo's documentation example, not two real authentications; the second one is dropped as a duplicate.
import type { MappedSignal } from '../../src/plugins/types.js';
import type { ArtifactValue, Severity, Signal } from '../../src/signals/signal.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { extractEmails, getPath, normalizeHostname, normalizeUsername, toIsoTime } from '../../src/signals/extractors.js';
import { authlogSchema, factorKey, type Authlog } from './authlog.js';

export const DUO_SOURCE = 'duo';

function eventsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const response = getPath(body, 'response');
  if (Array.isArray(response)) return response;
  const authlogs = getPath(response, 'authlogs');
  if (Array.isArray(authlogs)) return authlogs;
  return [body];
}

export function mapDuoBody(body: unknown): MappedSignal[] {
  return eventsOf(body).map((event, index) => {
    try {
      return mapDuoAuthlog(event, index);
    } catch (err) {
      return { index, error: `could not map the Duo authlog: ${(err as Error).message}` };
    }
  });
}

/** success | denied | fraud | error ...; v1's upper-case FAILURE is a denial. */
function resultOf(log: Authlog): string {
  const result = log.result.trim().toLowerCase();
  return result === 'failure' ? 'denied' : result;
}

const isPush = (factor: string | undefined) => factor !== undefined && /(^|_)push$/.test(factor);
function typeOf(eventType: string | undefined, factor: string | undefined, result: string): string {
  const outcome = result.replace(/[^a-z0-9]+/g, '_');
  if (eventType === 'enrollment') return result === 'success' ? 'duo_enrollment' : `duo_enrollment_${outcome}`;
  if (isPush(factor) && (result === 'denied' || result === 'fraud')) return `duo_push_${outcome}`;
  return `duo_auth_${outcome}`;
}

const SEVERITY: Record<string, Severity> = { success: 'info', denied: 'medium', fraud: 'high', error: 'low' };

/** A location part, or undefined for Duo's placeholders ("", "-", "Unknown"). */
function place(value: string | null | undefined): string | undefined {
  const v = value?.trim();
  return v && !['-', 'unknown', 'null'].includes(v.toLowerCase()) ? v : undefined;
}

/** The value when the whole of it is one e-mail address (lower-cased), else undefined. */
function asEmail(value: string | null | undefined): string | undefined {
  const text = value?.trim().toLowerCase();
  if (!text) return undefined;
  return extractEmails(text)[0] === text ? text : undefined;
}

function artifactsOf(log: Authlog): Record<string, ArtifactValue> {
  const artifacts: Record<string, ArtifactValue> = {};
  const rawUser = log.user?.name ?? log.username;
  const username = normalizeUsername(rawUser);
  if (username) artifacts.username = username;
  const email = asEmail(rawUser) ?? asEmail(log.email);
  if (email) artifacts.email = email;
  const ipText = log.access_device?.ip ?? log.ip;
  const ip = ipText ? canonicalIp(ipText.trim()) : undefined;
  if (ip) artifacts.src_ip = ip;
  // The phone that answered the push has its own address: an approval from elsewhere than the login is a lead.
  const authIpText = log.auth_device?.ip;
  const authIp = authIpText ? canonicalIp(authIpText.trim()) : undefined;
  if (authIp) artifacts.auth_device_ip = authIp;
  const application = (log.application?.name ?? log.integration)?.trim();
  if (application) artifacts.application = application;
  const hostname = normalizeHostname(log.access_device?.hostname);
  if (hostname) artifacts.hostname = hostname;
  const location = log.access_device?.location ?? log.location;
  const country = place(location?.country);
  const city = place(location?.city);
  const region = place(location?.state);
  if (country) artifacts.geo_country = country;
  if (region) artifacts.geo_region = region;
  if (city) artifacts.geo_city = city;
  return artifacts;
}

function titleOf(log: Authlog, factor: string | undefined, result: string, username: string | undefined): string {
  const what = isPush(factor) ? 'Duo push' : `Duo authentication${factor ? ` (${factor})` : ''}`;
  const outcome = result === 'fraud' ? 'marked as fraud' : result;
  const app = log.application?.name ?? log.integration;
  return `${what} ${outcome}${username ? ` for ${username}` : ''}${app ? ` to ${app}` : ''}`;
}

export function mapDuoAuthlog(event: unknown, index: number): MappedSignal {
  const parsed = authlogSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join(', ');
    return { index, error: `not a Duo authentication log entry (${problems})` };
  }
  const log = parsed.data;
  // isotimestamp keeps microseconds; older entries only have `timestamp` in epoch seconds.
  const occurredAt = toIsoTime(log.isotimestamp) ?? toIsoTime(log.timestamp);
  if (!occurredAt) {
    return { index, error: `Duo authlog ${log.txid}: no valid time (isotimestamp ${JSON.stringify(log.isotimestamp)}, timestamp ${JSON.stringify(log.timestamp)})` };
  }
  const factor = factorKey(log.factor);
  const result = resultOf(log);
  const artifacts = artifactsOf(log);
  const signal: Signal = {
    id: log.txid,
    source: DUO_SOURCE,
    type: typeOf(log.event_type?.trim().toLowerCase() || undefined, factor, result),
    occurredAt,
    title: titleOf(log, factor, result, typeof artifacts.username === 'string' ? artifacts.username : undefined),
    artifacts,
    raw: event as Record<string, unknown>,
  };
  const severity = SEVERITY[result];
  if (severity) signal.severity = severity;
  return { index, signal };
}
