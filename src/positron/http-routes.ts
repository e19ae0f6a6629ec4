// POST /api/v1/positron/{query}: Positron for internal tools (e.g. Cortex analyzers), with an API key
// (config `apiKeys`) whose groups Positron's ACL checks. The body is the query input as JSON
// (e.g. {"ip":"10.1.2.3"}), or {"args":["10.1.2.3"]} as on the command line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { withApiKey, type ApiKey } from '../app/api-keys.js';
import { UsageError } from './query-types.js';
import { AccessDeniedError, UnknownQueryError, type Positron } from './service.js';

export function mountPositronRoutes(http: HttpServer, deps: { positron: Positron; keys: ApiKey[]; logger: Logger }): void {
  http.route('POST', '/api/v1/positron/:query', withApiKey(deps.keys, deps.logger, async (req: IncomingMessage, res: ServerResponse, params, key) => {
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
  }));
}
