// The rules console's HTTP API, with the app's API keys (a key acts as its ACL groups):
//   GET    /api/v1/fields?since=30d&until=&top=10      types, sources, artifact fields and frequent values
//   POST   /api/v1/rules/validate   {definition}        200 {rule} | 400 {issues: [{path, message}]}
//   POST   /api/v1/rules            {definition}        201: version 1 (correlation.admins only)
//   PUT    /api/v1/rules/{id}       {definition, baseVersion?}  200: a new version (admins only)
//   GET    /api/v1/rules/{id}/versions                  every stored version, newest first
//   GET    /api/v1/rule-audit?subject=&limit=           rule and enrichment changes and refusals, newest first
//   GET    /api/v1/enrichment, PUT /api/v1/enrichment {rules, baseVersion?}   (PUT: admins only)
//   POST   /api/v1/simulations      {definition | ruleId, since, until?}   202 {id}
//   GET    /api/v1/simulations/{id}                     status, progress (read / total), report, sample cards
//   DELETE /api/v1/simulations/{id}                     cancel
// GET /api/v1/rules, /rules/{id} and POST /rules/{id}/enable|disable are in correlation/http-routes.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { withApiKey, type ApiHandler, type ApiKey } from '../app/api-keys.js';
import { parseQuery, ruleJson } from '../correlation/http-routes.js';
import type { Correlation } from '../correlation/service.js';
import { auditQuerySchema, enrichmentBodySchema, fieldsQuerySchema, ruleBodySchema, ruleIdParamsSchema, simulationBodySchema, simulationParamsSchema } from './schemas.js';
import { validateRule, type Editor, type Outcome, type RulesConsole } from './service.js';
import type { EnrichmentSet } from './enrichment-store.js';
import type { SimulationDoc } from './simulations.js';

const BODY_LIMIT = 256 * 1024;

export function apiEditor(key: ApiKey): Editor {
  return { actor: `api:${key.name}`, isMember: async (groups) => groups.some((g) => key.groups.includes(g)) };
}

export function enrichmentJson(set: EnrichmentSet | null) {
  return set ? { version: set.version, rules: set.rules, updatedAt: set.updatedAt.toISOString(), updatedBy: set.updatedBy } : { version: 0, rules: [], updatedAt: null, updatedBy: null };
}

export function simulationJson(doc: SimulationDoc) {
  return {
    id: doc._id,
    status: doc.status,
    ruleId: doc.ruleId,
    since: doc.since.toISOString(),
    until: doc.until.toISOString(),
    startedAt: doc.startedAt.toISOString(),
    finishedAt: doc.finishedAt?.toISOString(),
    progress: { phase: doc.phase ?? 'read', read: doc.read, total: doc.total ?? null },
    report: doc.report,
    samples: doc.samples,
    error: doc.error,
  };
}

/** The validated JSON body, or an answer already sent (400 / 413). */
async function body<T extends z.ZodType>(req: IncomingMessage, res: ServerResponse, schema: T): Promise<z.output<T> | undefined> {
  let raw: Buffer;
  try {
    raw = await readBody(req, BODY_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return void sendJson(res, 413, { error: 'too_large', message: err.message });
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8'));
  } catch {
    return void sendJson(res, 400, { error: 'invalid_json', message: 'the body must be JSON' });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
    return void sendJson(res, 400, { error: 'invalid_body', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
  }
  return parsed.data;
}

function params<T extends z.ZodType>(res: ServerResponse, schema: T, raw: Record<string, string>): z.output<T> | undefined {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  sendJson(res, 400, { error: 'invalid_path', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  return undefined;
}

function answer<T>(res: ServerResponse, outcome: Outcome<T>, status: number, json: (value: T) => unknown): void {
  if (outcome.ok) return sendJson(res, status, json(outcome.value));
  const { ok: _ok, status: code, ...rest } = outcome;
  sendJson(res, code, rest);
}

export function mountRulesConsoleRoutes(http: HttpServer, deps: { console: RulesConsole; correlation: Correlation; keys: ApiKey[]; logger: Logger }): void {
  const { console: rc, correlation } = deps;
  const authed = (handler: ApiHandler) => withApiKey(deps.keys, deps.logger, handler);

  http.route('GET', '/api/v1/fields', authed(async (req, res) => {
    const q = parseQuery(req, fieldsQuerySchema);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    sendJson(res, 200, await rc.fields.report(q.value.since, q.value.until ?? new Date(), q.value.top));
  }));

  http.route('POST', '/api/v1/rules/validate', authed(async (req, res) => {
    const b = await body(req, res, ruleBodySchema);
    if (b) answer(res, validateRule(b.definition), 200, (rule) => ({ valid: true, rule }));
  }));

  http.route('POST', '/api/v1/rules', authed(async (req, res, _p, key) => {
    const b = await body(req, res, ruleBodySchema);
    if (b) answer(res, await rc.saveRule(apiEditor(key), b.definition, { mode: 'create' }), 201, ruleJson);
  }));

  http.route('PUT', '/api/v1/rules/:id', authed(async (req, res, raw, key) => {
    const p = params(res, ruleIdParamsSchema, raw);
    const b = p && (await body(req, res, ruleBodySchema));
    if (p && b) answer(res, await rc.saveRule(apiEditor(key), b.definition, { mode: 'edit', id: p.id, baseVersion: b.baseVersion }), 200, ruleJson);
  }));

  http.route('GET', '/api/v1/rules/:id/versions', authed(async (_req, res, raw) => {
    const p = params(res, ruleIdParamsSchema, raw);
    if (!p) return;
    const versions = await correlation.rules.history(p.id);
    if (!versions.length) return sendJson(res, 404, { error: 'not_found', message: `no rule ${p.id}` });
    sendJson(res, 200, { versions: versions.map((v) => ({ version: v.version, definition: v.definition, createdAt: v.createdAt.toISOString() })) });
  }));

  http.route('GET', '/api/v1/rule-audit', authed(async (req, res) => {
    const q = parseQuery(req, auditQuerySchema);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const records = await correlation.rules.audit.list(q.value.subject, q.value.limit);
    sendJson(res, 200, { records: records.map((r) => ({ ...r, at: r.at.toISOString() })) });
  }));

  http.route('GET', '/api/v1/enrichment', authed(async (_req, res) => sendJson(res, 200, enrichmentJson(await rc.enrichment.current()))));

  http.route('PUT', '/api/v1/enrichment', authed(async (req, res, _p, key) => {
    const b = await body(req, res, enrichmentBodySchema);
    if (b) answer(res, await rc.saveEnrichment(apiEditor(key), b.rules, b.baseVersion), 200, enrichmentJson);
  }));

  http.route('POST', '/api/v1/simulations', authed(async (req, res, _p, key) => {
    const b = await body(req, res, simulationBodySchema);
    if (b) answer(res, await rc.startSimulation(apiEditor(key), b), 202, (v) => v);
  }));

  http.route('GET', '/api/v1/simulations/:id', authed(async (_req, res, raw) => {
    const p = params(res, simulationParamsSchema, raw);
    if (!p) return;
    const doc = await rc.simulations.get(p.id);
    if (!doc) return sendJson(res, 404, { error: 'not_found', message: `no simulation ${p.id}` });
    sendJson(res, 200, simulationJson(doc));
  }));

  http.route('DELETE', '/api/v1/simulations/:id', authed(async (_req, res, raw) => {
    const p = params(res, simulationParamsSchema, raw);
    if (!p) return;
    if (!(await rc.simulations.cancel(p.id))) return sendJson(res, 404, { error: 'not_found', message: `no simulation ${p.id}` });
    sendJson(res, 202, { id: p.id, cancelRequested: true });
  }));
}
