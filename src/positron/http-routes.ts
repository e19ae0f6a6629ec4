// POST /api/v1/positron/{query}: Positron for internal tools (e.g. Cortex analyzers). API keys come from
// the environment and map to ACL groups in the config file. The body is the query input as JSON
// (e.g. {"ip":"10.1.2.3"}), or {"args":["10.1.2.3"]} as on the command line.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../app/http-server.js';
import { ConfigError } from '../app/errors.js';
import type { Logger } from '../app/logger.js';
import { readSecret, type Env } from '../app/secrets.js';
import type { PositronConfig } from './config.js';
import { UsageError } from './query-types.js';
import { AccessDeniedError, UnknownQueryError, type Positron } from './service.js';

interface ApiKey {
  name: string;
  digest: Buffer;
  groups: string[];
}

const digest = (key: string) => createHash('sha256').update(key).digest();

export function resolveApiKeys(config: PositronConfig, env: Env): ApiKey[] {
  const problems: string[] = [];
  const keys: ApiKey[] = [];
  for (const [name, { keyEnv, groups }] of Object.entries(config.apiKeys)) {
    const key = readSecret(env, keyEnv);
    if (!key) problems.push(`positron.apiKeys.${name}: the environment variable ${keyEnv} (or ${keyEnv}_FILE) is not set`);
    else if (key.length < 16) problems.push(`positron.apiKeys.${name}: the key in ${keyEnv} is shorter than 16 characters`);
    else keys.push({ name, digest: digest(key), groups });
  }
  if (problems.length) throw new ConfigError(problems);
  return keys;
}

function findKey(keys: ApiKey[], req: IncomingMessage): ApiKey | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  // Compare digests (equal length) in constant time.
  const presented = digest(match[1]!);
  return keys.find((k) => timingSafeEqual(k.digest, presented));
}

export function mountPositronRoutes(http: HttpServer, deps: { positron: Positron; keys: ApiKey[]; logger: Logger }): void {
  http.route('POST', '/api/v1/positron/:query', async (req: IncomingMessage, res: ServerResponse, params) => {
    const key = findKey(deps.keys, req);
    if (!key) {
      deps.logger.warn({ remote: req.socket.remoteAddress, path: req.url }, 'Positron API refused: missing or unknown API key');
      return sendJson(res, 401, { error: 'unauthenticated', message: 'send Authorization: Bearer <API key>' }, { 'www-authenticate': 'Bearer' });
    }
    let body: unknown;
    try {
      const raw = await readBody(req, 64 * 1024);
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : {};
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'body_too_large', message: err.message });
      return sendJson(res, 400, { error: 'invalid_json', message: (err as Error).message });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendJson(res, 400, { error: 'invalid_input', message: 'the body must be a JSON object' });
    const args = (body as { args?: unknown }).args;
    const request = Array.isArray(args) && args.every((a) => typeof a === 'string') ? { args: args as string[] } : { input: body };
    try {
      const result = await deps.positron.run({ kind: 'api', key: key.name, groups: key.groups }, params.query!, request);
      sendJson(res, 200, result);
    } catch (err) {
      if (err instanceof UnknownQueryError) return sendJson(res, 404, { error: 'unknown_query', message: err.message });
      if (err instanceof AccessDeniedError) return sendJson(res, 403, { error: 'forbidden', message: err.message });
      if (err instanceof UsageError) return sendJson(res, 400, { error: 'invalid_input', message: err.message });
      throw err;
    }
  });
}
