// The `console:` section of the config file: the web console under /ui (sign-in with Slack's OpenID Connect,
// an optional trusted-header mode behind a company SSO proxy). Secrets are named by environment variable, as
// everywhere else (`NAME` or `NAME_FILE`), and resolved once at start.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from '../app/errors.js';
import { readSecret, type Env } from '../app/secrets.js';

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'the name of an environment variable');

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, 'an address or CIDR block such as 10.0.0.0/8 or ::1');

export const consoleConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The console's external URL (https://taser.example.com): Slack's redirect URL and Secure cookies come from it. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** HMAC key of the session cookies, at least 32 characters. */
    sessionSecretEnv: envName.default('TASER_CONSOLE_SESSION_SECRET'),
    sessionHours: z.number().min(0.25).max(24 * 7).default(8),
    /** Sign in with Slack (OpenID Connect). */
    oidc: z
      .strictObject({
        clientId: z.string().min(1),
        clientSecretEnv: envName.default('SLACK_CLIENT_SECRET'),
        /** Only members of this workspace (the id_token's https://slack.com/team_id). */
        teamId: z.string().regex(/^T[A-Z0-9]+$/, 'a Slack team id such as T012AB3CD').optional(),
        authorizeUrl: z.url().default('https://slack.com/openid/connect/authorize'),
        jwksUrl: z.url().default('https://slack.com/openid/connect/keys'),
        issuer: z.string().min(1).default('https://slack.com'),
      })
      .optional(),
    /** A company SSO proxy in front of taser that names the user in a header. */
    trustedProxy: z
      .strictObject({
        header: z.string().regex(/^[A-Za-z0-9-]+$/).transform((h) => h.toLowerCase()).default('x-forwarded-email'),
        /** The proxy's own addresses: the header is ignored from anyone else. */
        addresses: z.array(cidr).min(1),
      })
      .optional(),
  })
  .refine((c) => !c.enabled || c.oidc !== undefined || c.trustedProxy !== undefined, {
    message: 'set `oidc` (Sign in with Slack) or `trustedProxy` (or both): with neither, nobody can sign in',
  })
  .default({ enabled: false, sessionSecretEnv: 'TASER_CONSOLE_SESSION_SECRET', sessionHours: 8 });
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export interface ConsoleSettings {
  baseUrl?: URL;
  sessionSecret: string;
  sessionMs: number;
  oidc?: NonNullable<ConsoleConfig['oidc']> & { clientSecret: string };
  trustedProxy?: { header: string; addresses: BlockList };
}

export const MIN_SESSION_SECRET = 32;

/** The settings with their secrets, or ConfigError naming every problem; undefined when the console is off. */
export function resolveConsoleSettings(config: ConsoleConfig, env: Env): ConsoleSettings | undefined {
  if (!config.enabled) return undefined;
  const problems: string[] = [];
  const secret = (name: string, field: string): string => {
    try {
      const value = readSecret(env, name);
      if (!value) problems.push(`console.${field}: the environment variable ${name} (or ${name}_FILE) is not set`);
      return value ?? '';
    } catch (err) {
      problems.push(`console.${field}: ${(err as Error).message}`);
      return '';
    }
  };
  const sessionSecret = secret(config.sessionSecretEnv, 'sessionSecretEnv');
  if (sessionSecret && sessionSecret.length < MIN_SESSION_SECRET) {
    problems.push(`console.sessionSecretEnv: the secret in ${config.sessionSecretEnv} is shorter than ${MIN_SESSION_SECRET} characters`);
  }
  const clientSecret = config.oidc ? secret(config.oidc.clientSecretEnv, 'oidc.clientSecretEnv') : '';
  if (problems.length) throw new ConfigError(problems);
  let addresses: BlockList | undefined;
  if (config.trustedProxy) {
    addresses = new BlockList();
    for (const entry of config.trustedProxy.addresses) {
      const { address, prefix, family } = parseCidr(entry)!;
      addresses.addSubnet(address, prefix, family);
    }
  }
  return {
    baseUrl: config.baseUrl ? new URL(config.baseUrl) : undefined,
    sessionSecret,
    sessionMs: config.sessionHours * 3_600_000,
    oidc: config.oidc ? { ...config.oidc, clientSecret } : undefined,
    trustedProxy: config.trustedProxy && addresses ? { header: config.trustedProxy.header, addresses } : undefined,
  };
}

function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits] = value.split('/');
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether a socket's remote address is one of the proxy's (IPv4-mapped IPv6 addresses count as IPv4). */
export function isProxyAddress(list: BlockList, remote: string | undefined): boolean {
  if (!remote) return false;
  const plain = remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote;
  const version = isIP(plain);
  if (version === 0) return false;
  return list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
}
