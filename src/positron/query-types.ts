// Positron's standard questions. Each query type has an input schema (with a parser for slash-command
// arguments), an output schema every provider's answers must match, a merge key (answers with the same key
// are one answer that several providers agree on), a cache TTL, and whether it is sensitive.
import { isIP } from 'node:net';
import { z } from 'zod';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface QueryType<I = unknown, O = unknown> {
  name: string;
  description: string;
  /** e.g. "IP_TO_HOSTNAME <ip>" */
  usage: string;
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  /** Turns `/positron NAME args...` arguments into the input; throws UsageError. */
  parseArgs(args: string[]): I;
  /** Answers with equal keys are merged (their sources kept). */
  mergeKey(output: O): string;
  /** One line for a person, e.g. "web01.corp.example.com". */
  summarize(output: O): string;
  ttlMs: number;
  /** Sensitive queries are denied unless an ACL group allows them explicitly. */
  sensitive: boolean;
}

const lower = (s: string) => s.trim().toLowerCase();
const ipSchema = z.string().trim().refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address');
const hostnameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/, 'must be a hostname');
const domainSchema = hostnameSchema.refine((v) => v.includes('.'), 'must be a domain name such as example.com');
const userRef = z.string().trim().min(1, 'must name a user: e-mail, username or Slack user id');
const person = z.object({
  email: z.string().optional(),
  username: z.string().optional(),
  displayName: z.string().optional(),
  slackUserId: z.string().optional(),
});
type Person = z.infer<typeof person>;
const personKey = (p: Person) => lower(p.email ?? p.username ?? p.slackUserId ?? p.displayName ?? '');
const personText = (p: Person) => [p.displayName, p.email ?? p.username, p.slackUserId ? `<@${p.slackUserId}>` : undefined].filter(Boolean).join(' · ');

function one(name: string, usage: string, args: string[]): string {
  if (args.length !== 1) throw new UsageError(`usage: ${usage}`);
  return args[0]!;
}

// Infers I and O from the schemas, so every callback is checked against them.
function defineQuery<IS extends z.ZodType, OS extends z.ZodType>(
  q: Omit<QueryType<z.output<IS>, z.output<OS>>, 'input' | 'output'> & { input: IS; output: OS },
): QueryType<z.output<IS>, z.output<OS>> {
  return q as QueryType<z.output<IS>, z.output<OS>>;
}

const HOUR = 3_600_000;

export const IP_TO_HOSTNAME = defineQuery({
  name: 'IP_TO_HOSTNAME',
  description: 'Which host has this IP address (DNS, DHCP leases, asset inventory)',
  usage: 'IP_TO_HOSTNAME <ip>',
  input: z.object({ ip: ipSchema }),
  output: z.object({ hostname: hostnameSchema }),
  parseArgs: (args) => ({ ip: one('IP_TO_HOSTNAME', 'IP_TO_HOSTNAME <ip>', args) }),
  mergeKey: (o) => lower(o.hostname).replace(/\.$/, ''),
  summarize: (o) => o.hostname,
  ttlMs: 5 * 60_000,
  sensitive: false,
});

export const HOSTNAME_TO_IP = defineQuery({
  name: 'HOSTNAME_TO_IP',
  description: 'Which IP addresses a host has',
  usage: 'HOSTNAME_TO_IP <hostname>',
  input: z.object({ hostname: hostnameSchema }),
  output: z.object({ ip: ipSchema }),
  parseArgs: (args) => ({ hostname: one('HOSTNAME_TO_IP', 'HOSTNAME_TO_IP <hostname>', args) }),
  mergeKey: (o) => lower(o.ip),
  summarize: (o) => o.ip,
  ttlMs: 5 * 60_000,
  sensitive: false,
});

export const USER_INFO = defineQuery({
  name: 'USER_INFO',
  description: 'Who a user is: name, e-mail, title, department',
  usage: 'USER_INFO <email|username|@user>',
  input: z.object({ user: userRef }),
  output: person.extend({ title: z.string().optional(), department: z.string().optional(), status: z.string().optional() }),
  parseArgs: (args) => ({ user: one('USER_INFO', 'USER_INFO <email|username|@user>', args).replace(/^<@([A-Z0-9]+)(\|[^>]*)?>$/, '$1') }),
  mergeKey: personKey,
  summarize: (o) => [personText(o), o.title, o.department].filter(Boolean).join(' · '),
  ttlMs: HOUR,
  sensitive: false,
});

export const USER_MANAGER = defineQuery({
  name: 'USER_MANAGER',
  description: "A user's manager",
  usage: 'USER_MANAGER <email|username|@user>',
  input: z.object({ user: userRef }),
  output: z.object({ manager: person }),
  parseArgs: (args) => ({ user: one('USER_MANAGER', 'USER_MANAGER <email|username|@user>', args).replace(/^<@([A-Z0-9]+)(\|[^>]*)?>$/, '$1') }),
  mergeKey: (o) => personKey(o.manager),
  summarize: (o) => personText(o.manager),
  ttlMs: HOUR,
  sensitive: false,
});

export const ONCALL_FOR_TEAM = defineQuery({
  name: 'ONCALL_FOR_TEAM',
  description: 'Who is on call for a team now',
  usage: 'ONCALL_FOR_TEAM <team>',
  input: z.object({ team: z.string().trim().min(1) }),
  output: z.object({ oncall: person, escalationLevel: z.number().int().optional(), schedule: z.string().optional(), until: z.string().optional() }),
  parseArgs: (args) => {
    if (args.length < 1) throw new UsageError('usage: ONCALL_FOR_TEAM <team>');
    return { team: args.join(' ') };
  },
  mergeKey: (o) => personKey(o.oncall),
  summarize: (o) => [personText(o.oncall), o.schedule, o.until ? `until ${o.until}` : undefined].filter(Boolean).join(' · '),
  ttlMs: 60_000,
  sensitive: false,
});

export const DOMAIN_INFO = defineQuery({
  name: 'DOMAIN_INFO',
  description: 'Registration and reputation of a domain',
  usage: 'DOMAIN_INFO <domain>',
  input: z.object({ domain: domainSchema }),
  output: z.object({
    registrar: z.string().optional(),
    created: z.string().optional(),
    expires: z.string().optional(),
    nameservers: z.array(z.string()).optional(),
    reputation: z.enum(['malicious', 'suspicious', 'harmless', 'unknown']).optional(),
  }),
  parseArgs: (args) => ({ domain: one('DOMAIN_INFO', 'DOMAIN_INFO <domain>', args) }),
  // Registration data and reputation are different facts: they merge only with their own kind.
  mergeKey: (o) => (o.reputation ? `reputation:${o.reputation}` : `registrar:${lower(o.registrar ?? '')}|${o.created ?? ''}`),
  summarize: (o) =>
    [o.registrar && `registrar ${o.registrar}`, o.created && `created ${o.created.slice(0, 10)}`, o.expires && `expires ${o.expires.slice(0, 10)}`, o.reputation && `reputation ${o.reputation}`]
      .filter(Boolean)
      .join(' · '),
  ttlMs: 6 * HOUR,
  sensitive: false,
});

export const HASH_REPUTATION = defineQuery({
  name: 'HASH_REPUTATION',
  description: 'Reputation of a file hash (MD5, SHA-1 or SHA-256)',
  usage: 'HASH_REPUTATION <md5|sha1|sha256>',
  input: z.object({
    hash: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/, 'must be an MD5, SHA-1 or SHA-256 hex digest'),
  }),
  output: z.object({
    verdict: z.enum(['malicious', 'suspicious', 'harmless', 'undetected']),
    detections: z.number().int().nonnegative().optional(),
    engines: z.number().int().nonnegative().optional(),
    names: z.array(z.string()).optional(),
  }),
  parseArgs: (args) => ({ hash: one('HASH_REPUTATION', 'HASH_REPUTATION <md5|sha1|sha256>', args) }),
  mergeKey: (o) => o.verdict,
  summarize: (o) => `${o.verdict}${o.detections !== undefined && o.engines ? ` (${o.detections}/${o.engines} engines)` : ''}`,
  ttlMs: HOUR,
  sensitive: false,
});

export const STANDARD_QUERIES: QueryType[] = [IP_TO_HOSTNAME, HOSTNAME_TO_IP, USER_INFO, USER_MANAGER, ONCALL_FOR_TEAM, DOMAIN_INFO, HASH_REPUTATION] as QueryType[];
