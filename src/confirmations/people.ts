// Who to ask, through Positron (USER_INFO, USER_MANAGER, ONCALL_FOR_TEAM), and what happened, from the
// alert's signals. Each lookup answers a person with a Slack user id, or the reason there is none: the flow
// records that reason and moves on to the next step instead of waiting on someone it cannot reach.
import type { PositronApi } from '../plugins/types.js';
import type { StoredAlert } from '../correlation/alert-store.js';
import type { Signal } from '../signals/signal.js';
import type { FlowFacts, FlowPerson } from './model.js';

const CALLER = { kind: 'system', name: 'confirmations' } as const;
const SLACK_ID = /^<?@?([UW][A-Z0-9]{2,})(\|[^>]*)?>?$/;

export type Found = { person: FlowPerson } | { unresolved: string };

type Person = { email?: string; username?: string; displayName?: string; slackUserId?: string };

/** The best answer's person, or why there is none (no provider answered, or they failed). */
async function ask(positron: PositronApi, query: string, input: Record<string, string>, pick: (value: unknown) => Person | undefined): Promise<Person | string> {
  let result;
  try {
    result = await positron.run(CALLER, query, { input });
  } catch (err) {
    return `${query} failed: ${(err as Error).message}`;
  }
  const person = result.top ? pick(result.top.value) : undefined;
  if (person) return person;
  const failed = result.providers.filter((p) => p.error).map((p) => `${p.provider}: ${p.error}`);
  return `${query} ${Object.values(input).join(' ')}: no answer${failed.length ? ` (${failed.join('; ')})` : ''}`;
}

/** Completes a person with a Slack user id (from the answer, else by e-mail through Slack). */
async function withSlack(person: Person, ref: string | undefined, byEmail: (email: string) => Promise<string | undefined>): Promise<Found> {
  let slackUserId = person.slackUserId;
  if (!slackUserId && person.email) {
    try {
      slackUserId = await byEmail(person.email);
    } catch (err) {
      return { unresolved: `Slack users.lookupByEmail ${person.email} failed: ${(err as Error).message}` };
    }
  }
  const found: FlowPerson = { ...(ref ? { ref } : {}), ...person, ...(slackUserId ? { slackUserId } : {}) };
  if (!slackUserId) return { unresolved: `${person.email ?? person.username ?? ref ?? 'the person'} has no Slack account that taser can find` };
  return { person: found };
}

const asPerson = (v: unknown): Person | undefined => (v && typeof v === 'object' ? (v as Person) : undefined);

export async function resolveUser(positron: PositronApi, ref: string, byEmail: (email: string) => Promise<string | undefined>): Promise<Found> {
  const direct = SLACK_ID.exec(ref.trim());
  const answer = await ask(positron, 'USER_INFO', { user: direct ? direct[1]! : ref }, asPerson);
  if (typeof answer === 'string') {
    // Positron knows nothing, but a Slack user id is enough to ask them.
    return direct ? { person: { ref, slackUserId: direct[1]! } } : { unresolved: answer };
  }
  return withSlack(direct ? { ...answer, slackUserId: direct[1]! } : answer, ref, byEmail);
}

export async function resolveManager(positron: PositronApi, user: FlowPerson, byEmail: (email: string) => Promise<string | undefined>): Promise<Found> {
  const key = user.email ?? user.slackUserId ?? user.username ?? user.ref;
  if (!key) return { unresolved: 'the user is unknown, so their manager is too' };
  const answer = await ask(positron, 'USER_MANAGER', { user: key }, (v) => asPerson((v as { manager?: unknown } | null)?.manager));
  return typeof answer === 'string' ? { unresolved: answer } : withSlack(answer, undefined, byEmail);
}

export async function resolveOncall(positron: PositronApi, team: string | undefined, byEmail: (email: string) => Promise<string | undefined>): Promise<Found> {
  if (!team) return { unresolved: 'the alert has no team, so no on-call can be asked' };
  const answer = await ask(positron, 'ONCALL_FOR_TEAM', { team }, (v) => asPerson((v as { oncall?: unknown } | null)?.oncall));
  return typeof answer === 'string' ? { unresolved: answer } : withSlack(answer, undefined, byEmail);
}

const first = (signal: Signal | undefined, fields: string[]): string | undefined => {
  const artifacts = (signal?.artifacts ?? {}) as Record<string, unknown>;
  for (const f of fields) {
    const v = artifacts[f];
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined && one !== null && String(one).trim() !== '') return String(one);
  }
  return undefined;
};

/** Time, place, device and source IP of the newest signal that has them. */
export function factsOf(alert: StoredAlert | undefined, signals: Signal[], question: string | undefined): FlowFacts {
  const newest = [...signals].reverse();
  const pick = (fields: string[]) => newest.map((s) => first(s, fields)).find((v) => v !== undefined);
  const place = [pick(['city', 'geo_city']), pick(['region', 'geo_region', 'geo_state']), pick(['country', 'geo_country'])].filter(Boolean).join(', ');
  const where = place || pick(['geo', 'location', 'geo_location']);
  const device = pick(['device', 'device_name', 'user_agent', 'hostname', 'host']);
  const sourceIp = pick(['src_ip', 'source_ip', 'client_ip', 'ip']);
  const when = alert?.lastSeen.toISOString();
  return {
    summary: question ?? alert?.ruleName ?? alert?.ruleId ?? 'taser would like to check something with you',
    ...(when ? { when } : {}),
    ...(where ? { where } : {}),
    ...(device ? { device } : {}),
    ...(sourceIp ? { sourceIp } : {}),
  };
}

/** How a person is named in case events and replies. */
export function personName(p: FlowPerson | undefined): string {
  if (!p) return 'nobody';
  return p.displayName ?? p.email ?? p.username ?? p.ref ?? (p.slackUserId ? `<@${p.slackUserId}>` : 'someone');
}
