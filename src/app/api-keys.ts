// API keys for the HTTP API (/api/v1/...): named in the config file with the ACL groups they act as; the
// keys themselves come from the environment. Compared as SHA-256 digests in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { readSecret, type Env } from './secrets.js';

export const apiKeysSchema = z
  .record(
    z.string().regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, - and _'),
    z.strictObject({
      keyEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'the name of an environment variable holding the key'),
      groups: z.array(z.string().regex(/^[a-z0-9_-]+$/)).default([]),
    }),
  )
  .default({});

export interface ApiKey {
  name: string;
  groups: string[];
  digest: Buffer;
}

const MIN_KEY_LENGTH = 16;
const digest = (key: string) => createHash('sha256').update(key).digest();

export function resolveApiKeys(config: z.infer<typeof apiKeysSchema>, env: Env): ApiKey[] {
  const problems: string[] = [];
  const keys: ApiKey[] = [];
  for (const [name, { keyEnv, groups }] of Object.entries(config)) {
    const key = readSecret(env, keyEnv);
    if (!key) problems.push(`apiKeys.${name}: the environment variable ${keyEnv} (or ${keyEnv}_FILE) is not set`);
    else if (key.length < MIN_KEY_LENGTH) problems.push(`apiKeys.${name}: the key in ${keyEnv} is shorter than ${MIN_KEY_LENGTH} characters`);
    else keys.push({ name, groups, digest: digest(key) });
  }
  if (problems.length) throw new ConfigError(problems);
  return keys;
}

/** The key presented as `Authorization: Bearer <key>`, or undefined. */
export function authenticateApiKey(keys: readonly ApiKey[], req: IncomingMessage): ApiKey | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const presented = digest(match[1]!);
  return keys.find((k) => timingSafeEqual(k.digest, presented));
}
