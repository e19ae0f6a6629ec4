// Positron answers from the Okta Users API: GET /api/v1/users/{id | login | login shortname}.
// USER_INFO is the user's profile; USER_MANAGER follows profile.managerId (an Okta user id) or profile.manager
// (a login or e-mail) with a second GET. A user Okta does not know is an empty answer, not an error.
import { z } from 'zod';
import type { ProviderAnswer } from '../../src/positron/fanout.js';
import type { OktaApi } from './api.js';

const oktaUserSchema = z.looseObject({
  id: z.string(),
  status: z.string().nullish(),
  lastUpdated: z.string().nullish(),
  profile: z.looseObject({
    login: z.string().nullish(),
    email: z.string().nullish(),
    firstName: z.string().nullish(),
    lastName: z.string().nullish(),
    displayName: z.string().nullish(),
    title: z.string().nullish(),
    department: z.string().nullish(),
    managerId: z.string().nullish(),
    manager: z.string().nullish(),
  }),
});
export type OktaUser = z.infer<typeof oktaUserSchema>;

export interface Person {
  email?: string;
  username?: string;
  displayName?: string;
}

const present = (v: string | null | undefined): string | undefined => (v && v.trim() !== '' ? v.trim() : undefined);

/** One user by id, login or login shortname; undefined when Okta has no such user. */
export async function getUser(api: OktaApi, ref: string, signal: AbortSignal): Promise<OktaUser | undefined> {
  const url = new URL(`/api/v1/users/${encodeURIComponent(ref.trim())}`, api.origin);
  const answer = await api.get(url, signal);
  if (!answer) return undefined;
  const parsed = oktaUserSchema.safeParse(answer.body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join(', ');
    throw new Error(`Okta answered /api/v1/users/${ref} with something that is not a User (${issues})`);
  }
  return parsed.data;
}

export function personOf(user: OktaUser): Person {
  const p = user.profile;
  const name = present(p.displayName) ?? present([p.firstName, p.lastName].filter(present).join(' '));
  const person: Person = {};
  const email = present(p.email);
  const login = present(p.login);
  if (email) person.email = email;
  if (login) person.username = login;
  if (name) person.displayName = name;
  return person;
}

function observedAt(user: OktaUser): string | undefined {
  return present(user.lastUpdated);
}

export async function userInfo(api: OktaApi, ref: string, signal: AbortSignal): Promise<ProviderAnswer<Person & { title?: string; department?: string; status?: string }>[]> {
  const user = await getUser(api, ref, signal);
  if (!user) return [];
  const value: Person & { title?: string; department?: string; status?: string } = personOf(user);
  const title = present(user.profile.title);
  const department = present(user.profile.department);
  const status = present(user.status);
  if (title) value.title = title;
  if (department) value.department = department;
  if (status) value.status = status;
  return [{ value, observedAt: observedAt(user) }];
}

export async function userManager(api: OktaApi, ref: string, signal: AbortSignal): Promise<ProviderAnswer<{ manager: Person }>[]> {
  const user = await getUser(api, ref, signal);
  if (!user) return [];
  const managerRef = present(user.profile.managerId) ?? present(user.profile.manager);
  if (!managerRef) return [];
  const manager = await getUser(api, managerRef, signal);
  if (manager) return [{ value: { manager: personOf(manager) }, observedAt: observedAt(user) }];
  // profile.manager is free text in many orgs (often a display name): say what Okta has, less sure of it.
  if (!present(user.profile.managerId) && user.profile.manager) {
    return [{ value: { manager: { displayName: user.profile.manager.trim() } }, confidence: 0.5, observedAt: observedAt(user) }];
  }
  return [];
}
