// The case HTTP API (/api/v1/cases...), with the app's API keys; a key acts as its ACL groups (`cases` config):
//   POST /api/v1/cases                  {title, description?, severity, team?, assignee?, alertIds?, tags?} -> 201
//   GET  /api/v1/cases?status=&team=&assignee=&artifact=&since=&until=&limit=&cursor=
//   GET  /api/v1/cases/{idOrNumber}     with alerts, observables and sync state
//   POST /api/v1/cases/{id}/alerts      {alertId}
//   POST /api/v1/cases/{id}/close       {resolution, summary?}
//   POST /api/v1/cases/{id}/channels    {private?, name?} -> 201 (src/cases/channels/http-routes.ts)
// Field errors answer 400 naming each field; 403 the ACL; 404 no such case or alert; 409 a state conflict.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { withApiKey, type ApiHandler, type ApiKey } from '../app/api-keys.js';
import { artifact, page, parseQuery, time } from '../correlation/http-routes.js';
import type { Principal } from './access.js';
import { CASE_STATUSES, CaseForbiddenError, CaseInputError, CaseNotFoundError, CaseStateError, alertIdSchema, type StoredCase } from './model.js';
import { caseJson, caseSummaryJson } from './present.js';
import type { Cases } from './wire.js';
import { mountCaseChannelRoutes } from './channels/http-routes.js';

const BODY_LIMIT = 256 * 1024;

const caseQuery = z.strictObject({
  status: z.enum(CASE_STATUSES).optional(),
  team: z.string().min(1).transform((t) => t.toLowerCase()).optional(),
  assignee: z.string().min(1).optional(),
  artifact: artifact.optional(),
  since: time.optional(),
  until: time.optional(),
  ...page,
});

const addAlertBody = z.strictObject({ alertId: alertIdSchema });

export function apiPrincipal(key: ApiKey): Principal {
  return { actor: `api:${key.name}`, isMember: async (groups) => groups.some((g) => key.groups.includes(g)) };
}

/** The JSON body, or an answer already sent (400 / 413). */
async function jsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ ok: true; body: unknown } | { ok: false }> {
  try {
    const raw = await readBody(req, BODY_LIMIT);
    return { ok: true, body: raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : {} };
  } catch (err) {
    if (err instanceof BodyTooLargeError) sendJson(res, 413, { error: 'too_large', message: err.message });
    else sendJson(res, 400, { error: 'invalid_json', message: 'the body must be a JSON object' });
    return { ok: false };
  }
}

/** Case errors as HTTP answers; anything else is the server's fault (500 with an error id, by the router). */
function sendCaseError(res: ServerResponse, err: unknown): void {
  if (err instanceof CaseInputError) return sendJson(res, 400, { error: 'invalid_request', problems: err.problems });
  if (err instanceof CaseForbiddenError) return sendJson(res, 403, { error: 'forbidden', message: err.message });
  if (err instanceof CaseNotFoundError) return sendJson(res, 404, { error: 'not_found', message: err.message });
  if (err instanceof CaseStateError) return sendJson(res, 409, { error: 'conflict', message: err.message });
  throw err;
}

export function mountCaseRoutes(http: HttpServer, deps: { cases: Cases; keys: ApiKey[]; logger: Logger }): void {
  const { cases, logger } = deps;
  const { service } = cases;
  const authed = (handler: ApiHandler) => withApiKey(deps.keys, logger, handler);
  const full = (c: StoredCase) => caseJson(c, service.link(c));
  const caught = (handler: ApiHandler): ApiHandler => async (req, res, params, key) => {
    try {
      await handler(req, res, params, key);
    } catch (err) {
      sendCaseError(res, err);
    }
  };

  http.route('POST', '/api/v1/cases', authed(caught(async (req, res, _params, key) => {
    const body = await jsonBody(req, res);
    if (!body.ok) return;
    if (typeof body.body !== 'object' || body.body === null || Array.isArray(body.body)) throw new CaseInputError([{ field: 'body', message: 'a JSON object' }]);
    const created = await service.create(apiPrincipal(key), body.body as never);
    sendJson(res, 201, caseSummaryJson(created, service.link(created)));
  })));

  http.route('GET', '/api/v1/cases', authed(async (req, res) => {
    const q = parseQuery(req, caseQuery);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const { cases: found, next } = await service.list(q.value);
    sendJson(res, 200, { cases: found.map((c) => caseSummaryJson(c, service.link(c))), next });
  }));

  http.route('GET', '/api/v1/cases/:ref', authed(caught(async (_req, res, params) => {
    sendJson(res, 200, full(await service.require(params.ref!)));
  })));

  http.route('POST', '/api/v1/cases/:ref/alerts', authed(caught(async (req, res, params, key) => {
    const body = await jsonBody(req, res);
    if (!body.ok) return;
    const parsed = addAlertBody.safeParse(body.body);
    if (!parsed.success) throw CaseInputError.fromZod(parsed.error);
    try {
      sendJson(res, 200, full(await service.addAlerts(apiPrincipal(key), params.ref!, [parsed.data.alertId])));
    } catch (err) {
      // The alert named in the body does not exist: a field error (400), not a missing case.
      if (err instanceof CaseInputError) throw new CaseInputError(err.problems.map((p) => ({ ...p, field: 'alertId' })));
      throw err;
    }
  })));

  http.route('POST', '/api/v1/cases/:ref/close', authed(caught(async (req, res, params, key) => {
    const body = await jsonBody(req, res);
    if (!body.ok) return;
    sendJson(res, 200, full(await service.close(apiPrincipal(key), params.ref!, body.body as never)));
  })));

  mountCaseChannelRoutes(http, { channels: cases.channels, authed, caught, jsonBody, principal: apiPrincipal });
}
