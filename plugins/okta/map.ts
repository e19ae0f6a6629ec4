// Okta System Log events -> Signals. Accepts one LogEvent, an array of them, or an Event Hook delivery
// ({ data: { events: [...] } }). Never throws: an event it cannot map becomes an error naming the problem.
import type { MappedSignal } from '../../src/plugins/types.js';
import type { ArtifactValue, Severity, Signal } from '../../src/signals/signal.js';
import { severityRank } from '../../src/signals/signal.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { extractEmails, getPath, normalizeUsername, toIsoTime } from '../../src/signals/extractors.js';
import { isNewGeoLocation, logEventSchema, riskContext, type LogEvent } from './log-event.js';

export const OKTA_SOURCE = 'okta';

/** The events in a webhook body or a polled page entry, in order. */
function eventsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const hookEvents = getPath(body, 'data.events');
  if (Array.isArray(hookEvents)) return hookEvents;
  return [body];
}

export function mapOktaBody(body: unknown): MappedSignal[] {
  return eventsOf(body).map((event, index) => {
    try {
      return mapOktaEvent(event, index);
    } catch (err) {
      // mapOktaEvent is written not to throw; this keeps the promise if a vendor oddity slips past it.
      return { index, error: `could not map the Okta event: ${(err as Error).message}` };
    }
  });
}

/**
 * Okta's `uuid` is not unique on its own in the data we see (the Elastic sample set reuses one uuid for
 * unrelated user.session.end events), so the signal id is `uuid:eventType`: a redelivery of the same event
 * still has the same id (deduplicated), two different events sharing a uuid are both kept.
 */
export function oktaSignalId(event: Pick<LogEvent, 'uuid' | 'eventType'>): string {
  return `${event.uuid}:${event.eventType}`;
}

const SEVERITY: Record<string, Severity> = { DEBUG: 'info', INFO: 'info', WARN: 'medium', ERROR: 'high' };

function severityOf(event: LogEvent, riskLevel: string | undefined): Severity | undefined {
  const base = event.severity ? SEVERITY[event.severity.toUpperCase()] : undefined;
  // Okta rates a request HIGH risk on its own scale (anomalous location, device): that raises an INFO login.
  if (riskLevel === 'HIGH' && (base === undefined || severityRank(base) < severityRank('high'))) return 'high';
  return base;
}

function typeOf(event: LogEvent, newLocation: boolean): string {
  const result = event.outcome?.result?.toUpperCase();
  if (event.eventType === 'user.session.start') {
    if (result === 'SUCCESS') return newLocation ? 'sso_login_new_location' : 'sso_login';
    if (result === 'FAILURE') return 'sso_login_failed';
  }
  if (event.eventType === 'user.authentication.auth_via_mfa' && newLocation && result === 'SUCCESS') return 'mfa_new_location';
  // A lockout is its own outcome (Okta reports it as a FAILURE of the lock event).
  if (event.eventType === 'user.account.lock') return 'okta_account_lockout';
  // Any other outcome than success is part of the type: a failed MFA is never typed like a passed one.
  const base = `okta_${event.eventType.replace(/\./g, '_').toLowerCase()}`;
  // (For a person's events: a system warning's FAILURE is the warning itself.)
  const personal = event.eventType.startsWith('user.');
  return personal && result && result !== 'SUCCESS' && result !== 'ALLOW' ? `${base}_${result.toLowerCase().replace(/[^a-z0-9]+/g, '_')}` : base;
}

function firstIpEntry(event: LogEvent) {
  return (event.request?.ipChain ?? event.client?.ipChain ?? []).find((entry) => entry.ip);
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const v = value?.trim();
  return v && v.toLowerCase() !== 'null' ? v : undefined;
}

function artifactsOf(event: LogEvent): Record<string, ArtifactValue> {
  const artifacts: Record<string, ArtifactValue> = {};
  // Only a person is a username: system principals and OAuth clients also appear as actors.
  const actorType = event.actor?.type;
  const alternateId = actorType === undefined || actorType === null || actorType === 'User' ? event.actor?.alternateId : undefined;
  // The users an event is about (target[] of type User): the person of an IdP login whose actor is Okta
  // itself, or the subject of an admin action.
  const targets = [...new Set((event.target ?? []).filter((t) => t.type === 'User').map((t) => normalizeUsername(t.alternateId)).filter((u): u is string => !!u))];
  const username = normalizeUsername(alternateId) ?? (targets.length === 1 ? targets[0] : undefined);
  if (username) artifacts.username = username;
  const others = targets.filter((t) => t !== username);
  if (others.length) artifacts.target_username = others.length === 1 ? others[0]! : others;
  // alternateId is the login: an e-mail address in most orgs, a short name in some.
  const emails = [username, ...others].filter((u): u is string => !!u && extractEmails(u)[0] === u);
  if (emails.length) artifacts.email = emails.length === 1 ? emails[0]! : emails;

  const chain = firstIpEntry(event);
  const ip = [event.client?.ipAddress, chain?.ip].map((v) => (v ? canonicalIp(v.trim()) : undefined)).find(Boolean);
  if (ip) artifacts.src_ip = ip;
  // Every other address the request passed through (proxies, the client behind a gateway): an analyst pivots on
  // each of them, not only on the first.
  const chainIps = [...new Set((event.request?.ipChain ?? event.client?.ipChain ?? []).map((e) => (e.ip ? canonicalIp(e.ip.trim()) : undefined)).filter((v): v is string => !!v && v !== ip))];
  if (chainIps.length) artifacts.ip_chain = chainIps.length === 1 ? chainIps[0]! : chainIps;
  // The application signed in to (an IdP login, an app SSO): target[] of type AppInstance.
  const apps = [...new Set((event.target ?? []).filter((t) => t.type === 'AppInstance').map((t) => nonEmpty(t.displayName) ?? nonEmpty(t.alternateId)).filter((a): a is string => !!a))];
  if (apps.length) artifacts.application = apps.length === 1 ? apps[0]! : apps;
  // Why Okta answered as it did (INVALID_CREDENTIALS, LOCKED_OUT): the outcome itself is in the type.
  const reason = nonEmpty(event.outcome?.reason);
  if (reason) artifacts.reason = reason;
  const geo = event.client?.geographicalContext ?? chain?.geographicalContext;
  const country = nonEmpty(geo?.country);
  const city = nonEmpty(geo?.city);
  const region = nonEmpty(geo?.state);
  if (country) artifacts.geo_country = country;
  if (region) artifacts.geo_region = region;
  if (city) artifacts.geo_city = city;
  return artifacts;
}

export function mapOktaEvent(event: unknown, index: number): MappedSignal {
  const parsed = logEventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join(', ');
    return { index, error: `not an Okta LogEvent (${problems})` };
  }
  const e = parsed.data;
  const occurredAt = toIsoTime(e.published);
  if (!occurredAt) {
    return { index, error: `Okta event ${e.uuid} (${e.eventType}): published ${JSON.stringify(e.published)} is not a valid ISO-8601 time` };
  }
  const risk = riskContext(e);
  const signal: Signal = {
    id: oktaSignalId(e),
    source: OKTA_SOURCE,
    type: typeOf(e, isNewGeoLocation(risk)),
    occurredAt,
    title: nonEmpty(e.displayMessage) ?? e.eventType,
    artifacts: artifactsOf(e),
    raw: event as Record<string, unknown>, // verbatim, not the parsed copy
  };
  const severity = severityOf(e, risk.riskLevel);
  if (severity) signal.severity = severity;
  return { index, signal };
}
