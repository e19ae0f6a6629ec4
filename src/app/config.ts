// Configuration: the environment (secrets, ports, URLs) plus an optional YAML file (TASER_CONFIG) for plugins,
// channel routing, ACL groups and rules. Everything is validated at start; each problem is one line naming the
// field, what was found and what was expected.
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { z } from 'zod';
import { isMap, isPair, isScalar, isSeq, parse as parseYaml, parseDocument, visit } from 'yaml';
import { ConfigError } from './errors.js';
import { readSecret, type Env } from './secrets.js';
import { webhookAuthSchema } from '../signals/webhook-auth.js';
import { positronConfigSchema } from '../positron/config.js';
import { apiKeysSchema } from './api-keys.js';
import { enrichmentSchema } from '../signals/enrich.js';
import { httpConfigSchema } from '../http/config.js';
import { casesConfigSchema } from '../cases/config.js';
import { retentionConfigSchema } from '../store/retention.js';
import { consoleConfigSchema } from '../console/config.js';

const slackUserId = z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id such as U012AB3CD');

export const groupSchema = z.strictObject({
  users: z.array(slackUserId).default([]),
  emails: z.array(z.email()).default([]),
  usergroups: z.array(z.string().regex(/^S[A-Z0-9]+$/, 'a Slack user group id such as S0614TZR7')).default([]),
});
export type GroupConfig = z.infer<typeof groupSchema>;

const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/, 'a Slack channel id such as C012AB3CD');

export const fileConfigSchema = z.strictObject({
  /** Per-plugin settings keyed by namespace; `enabled` turns a plugin on or off. */
  plugins: z.record(z.string(), z.looseObject({ enabled: z.boolean().optional() })).default({}),
  /** Extra plugin folders (a deployment's own plugins), relative to the config file. */
  pluginPaths: z.array(z.string().min(1)).default([]),
  channels: z
    .strictObject({
      default: channelId.optional(),
      /** Channel for admin notices (bot not in a channel, failed deliveries). */
      admin: channelId.optional(),
      teams: z.record(z.string(), channelId).default({}),
    })
    .default({ teams: {} }),
  groups: z.record(z.string().regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, - and _'), groupSchema).default({}),
  /** Signal sources by name: how each webhook authenticates (POST /signals/<name>). */
  sources: z.record(z.string(), z.strictObject({ auth: webhookAuthSchema })).default({}),
  /** Keys for the HTTP API (/api/v1/...), each acting as the ACL groups listed. */
  apiKeys: apiKeysSchema,
  /** Positron: deadlines, ACLs per query, sensitive queries, HTTP API keys. */
  positron: positronConfigSchema.default(positronConfigSchema.parse({})),
  /** Correlation rules: validated by the correlation module, which names the rule and field. */
  rules: z.array(z.unknown()).default([]),
  correlation: z
    .strictObject({
      /** ACL groups that may enable and disable rules (Slack and HTTP API). None: nobody may. */
      admins: z.array(z.string()).default([]),
      /** Store and group usernames, emails and domains under their TR39 skeleton (docs/confusables.md). */
      foldConfusables: z.boolean().default(false),
      /**
       * Signals accepted but not yet correlated above which POST /signals/<source> answers 429 with Retry-After
       * (back-pressure: the sender keeps them and retries, instead of a backlog that stalls the database).
       */
      maxBacklog: z.number().int().min(1).max(10_000_000).default(50_000),
    })
    .default({ admins: [], foldConfusables: false, maxBacklog: 50_000 }),
  /** Positron lookups that add artifacts to signals before correlation. */
  enrichment: enrichmentSchema,
  /** Outbound HTTP for plugins: timeouts, retries, extra CA files (proxies come from HTTP(S)_PROXY, NO_PROXY). */
  http: httpConfigSchema.default(httpConfigSchema.parse({})),
  /** Cases: ACL groups (soc, admins, per-team members and leads), the case link, backend sync retries. */
  cases: casesConfigSchema,
  /** How long stored data is kept (src/store/retention.ts). */
  retention: retentionConfigSchema,
  /** The web console under /ui: sign-in with Slack or a trusted SSO proxy header (src/console/config.ts). */
  console: consoleConfigSchema,
});
export type FileConfig = z.infer<typeof fileConfigSchema>;

const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, 'a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'an app-level token starting with xapp-').optional(),
  SLACK_API_URL: z.url().optional(),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// or mongodb+srv:// URI').optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TASER_CONFIG: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  TASER_DATA_DIR: z.string().min(1).default('.taser'),
});

export interface AppConfig {
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
  };
  mongodbUri?: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** `pretty` for a terminal; JSON lines otherwise. */
  logFormat?: z.infer<typeof envSchema>['LOG_FORMAT'];
  /** Where the embedded database keeps its files when MONGODB_URI is not set. */
  dataDir: string;
  configPath?: string;
  /** Directory relative paths in the config file are resolved against. */
  configDir: string;
  file: FileConfig;
  env: Env;
}

const SECRET_NAMES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'MONGODB_URI'] as const;

/** "plugins.okta.url: expected string, found number". */
export function formatIssues(prefix: string, error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const found = describeFound(input, issue.path);
    return `${path || '(root)'}: ${issue.message}${found}`;
  });
}

function describeFound(input: unknown, path: PropertyKey[]): string {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  if (value === undefined) return ' (missing)';
  const shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return ` (found ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown})`;
}

/** Reads and validates the whole configuration; throws ConfigError with one line per problem. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const rawEnv: Record<string, string | undefined> = { ...env };
  for (const name of SECRET_NAMES) {
    try {
      rawEnv[name] = readSecret(env, name);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const parsedEnv = envSchema.safeParse(rawEnv);
  if (!parsedEnv.success) {
    // Never echo a secret's value back: describe env problems without "found".
    for (const issue of parsedEnv.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }

  let file: FileConfig = fileConfigSchema.parse({});
  const configPath = parsedEnv.success ? parsedEnv.data.TASER_CONFIG : undefined;
  if (configPath) {
    const loaded = loadConfigFile(configPath);
    if ('problems' in loaded) problems.push(...loaded.problems);
    else file = loaded.config;
  }
  if (problems.length > 0 || !parsedEnv.success) throw new ConfigError(problems);

  const e = parsedEnv.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
    },
    mongodbUri: e.MONGODB_URI,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    dataDir: resolve(e.TASER_DATA_DIR),
    configPath: configPath ? resolve(configPath) : undefined,
    configDir: configPath ? dirname(resolve(configPath)) : process.cwd(),
    file,
    env,
  };
}

export function loadConfigFile(path: string): { config: FileConfig } | { problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problems: [`TASER_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (err) {
    return { problems: [`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  const hashes = hashComments(text).map((line) => `${path}: ${line}`);
  const parsed = fileConfigSchema.safeParse(data);
  if (!parsed.success) return { problems: [...hashes, ...formatIssues('', parsed.error, data).map((line) => `${path}: ${line}`)] };
  if (hashes.length) return { problems: hashes };
  return { config: parsed.data };
}

/**
 * Values YAML read as empty (null) because an unquoted `#` started a comment: `channel: #alerts`. Said as
 * such, since "expected string, found null" does not tell anyone to add quotes.
 */
export function hashComments(text: string): string[] {
  const found: string[] = [];
  let doc;
  try {
    doc = parseDocument(text);
  } catch {
    return found;
  }
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (node.value !== null || node.comment === undefined || key === 'key') return;
      const path: string[] = [];
      let child: unknown = node;
      for (const a of [...ancestors].reverse()) {
        if (isPair(a)) path.unshift(String(isScalar(a.key) ? a.key.value : a.key));
        else if (isSeq(a)) path.unshift(`[${a.items.indexOf(child as never)}]`);
        else if (!isMap(a)) break;
        child = a;
      }
      const name = path.join('.').replace(/\.\[/g, '[');
      const last = path.at(-1) ?? '';
      const comment = `#${node.comment}`;
      found.push(
        `${name}: is empty because the unquoted "${comment}" after it is read as a YAML comment; ` +
          `quote the value: ${last.startsWith('[') ? '-' : `${last}:`} "${comment}"`,
      );
    },
  });
  return found;
}
