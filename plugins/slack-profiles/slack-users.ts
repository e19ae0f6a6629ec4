// Finds Slack users by what a person types (e-mail, Slack user id, <@U...> mention) through the bot's Web API
// client, and reads their profiles. Slack's "no such user" is an answer (undefined); any other Slack error is
// thrown with Slack's error code, so Positron reports the provider as failed.
import { z } from 'zod';
import type { WebClient } from '@slack/web-api';

export type UserRef = { kind: 'email'; email: string } | { kind: 'id'; id: string } | { kind: 'other'; text: string };

const EMAIL = /^[^\s@<>|]+@[^\s@<>|]+\.[^\s@<>|]+$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A user reference as typed: `<@U123|name>` and `<mailto:a@b|a@b>` are unwrapped first. */
export function parseUserRef(raw: string): UserRef {
  const text = raw
    .trim()
    .replace(/^<@([A-Z0-9]+)(\|[^>]*)?>$/, '$1')
    .replace(/^<mailto:([^|>]+)(\|[^>]*)?>$/, '$1');
  if (EMAIL.test(text)) return { kind: 'email', email: text };
  if (USER_ID.test(text)) return { kind: 'id', id: text };
  return { kind: 'other', text };
}

const slackUserSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  real_name: z.string().nullish(),
  deleted: z.boolean().nullish(),
  profile: z
    .looseObject({
      email: z.string().nullish(),
      display_name: z.string().nullish(),
      real_name: z.string().nullish(),
      title: z.string().nullish(),
    })
    .nullish(),
});
export type SlackUser = z.infer<typeof slackUserSchema>;

// Slack sends `fields` as an object of { value, alt }, and as null or [] when a profile has none.
const profileSchema = z.looseObject({
  fields: z.union([z.record(z.string(), z.looseObject({ value: z.string().nullish() }).nullish()), z.array(z.unknown()), z.null()]).optional(),
});

const NOT_FOUND = new Set(['users_not_found', 'user_not_found']);

interface SlackApiError {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
}

/** Calls one Slack method; undefined when Slack says the user does not exist. */
async function call<T>(method: string, run: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  signal.throwIfAborted();
  let result: T;
  try {
    result = await run();
  } catch (err) {
    const e = err as SlackApiError;
    const code = e.data?.error ?? e.code ?? (err as Error).message;
    if (NOT_FOUND.has(code)) return undefined;
    throw new Error(`Slack ${method} failed: ${code}${e.retryAfter !== undefined ? ` (retry after ${e.retryAfter} s)` : ''}`);
  }
  // The WebClient cannot be aborted: at least do not go on once Positron has given up.
  signal.throwIfAborted();
  return result;
}

function parseUser(method: string, user: unknown): SlackUser {
  const parsed = slackUserSchema.safeParse(user);
  if (!parsed.success) throw new Error(`Slack ${method}: unexpected user: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'user'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The Slack user an e-mail or user id names; undefined for anything Slack cannot look up (a username). */
export async function findSlackUser(slack: WebClient, ref: UserRef, signal: AbortSignal): Promise<SlackUser | undefined> {
  if (ref.kind === 'email') {
    const found = await call('users.lookupByEmail', () => slack.users.lookupByEmail({ email: ref.email }), signal);
    return found && parseUser('users.lookupByEmail', found.user);
  }
  if (ref.kind === 'id') {
    const found = await call('users.info', () => slack.users.info({ user: ref.id }), signal);
    return found && parseUser('users.info', found.user);
  }
  return undefined;
}

/** The value of one custom profile field (users.profile.get), or undefined when the user or value is absent. */
export async function readProfileField(slack: WebClient, userId: string, fieldId: string, signal: AbortSignal): Promise<string | undefined> {
  const found = await call('users.profile.get', () => slack.users.profile.get({ user: userId }), signal);
  if (!found) return undefined;
  const parsed = profileSchema.safeParse(found.profile ?? {});
  if (!parsed.success) throw new Error(`Slack users.profile.get: unexpected profile: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const fields = parsed.data.fields;
  if (!fields || Array.isArray(fields)) return undefined;
  const value = fields[fieldId]?.value?.trim();
  return value ? value : undefined;
}

/** A person as Positron's queries describe one. */
export function personOf(user: SlackUser): { displayName?: string; email?: string; slackUserId: string } {
  const displayName = user.profile?.real_name || user.real_name || user.profile?.display_name || user.name || undefined;
  const email = user.profile?.email || undefined;
  return { ...(displayName ? { displayName } : {}), ...(email ? { email } : {}), slackUserId: user.id };
}
