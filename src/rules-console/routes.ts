// The rules console's HTTP API, with the app's API keys (a key acts as its ACL groups) or the console's session (its user's groups):
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
import { z } from 'zod';
import { apiErrorSchema, type ApiCaller, type ApiReply, type ApiRouter } from '../app/api/route.js';
import { ruleJson, ruleJsonSchema } from '../correlation/api-schemas.js';
import type { Correlation } from '../correlation/service.js';
import { auditQuerySchema, enrichmentBodySchema, fieldsQuerySchema, issueSchema, ruleBodySchema, ruleIdParamsSchema, simulationBodySchema, simulationParamsSchema } from './schemas.js';
import { validateRule, type Editor, type Outcome, type RulesConsole } from './service.js';
import type { EnrichmentSet } from './enrichment-store.js';
import type { SimulationDoc } from './simulations.js';

const BODY_LIMIT = 256 * 1024;

export function apiEditor(key: ApiCaller): Editor {
  return { actor: key.actor, isMember: async (groups) => groups.some((g) => key.groups.includes(g)) };
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

/** A refused save or run: the error, and each problem by field path (`parts.0.count`, `expr`, `(rule)`). */
const outcomeError = apiErrorSchema.extend({ issues: z.array(issueSchema).optional() });
const refused = (description: string) => ({ description, schema: outcomeError });
const counted = z.object({ value: z.string(), count: z.number() });
const fieldsReportSchema = z.strictObject({
  since: z.string(),
  until: z.string(),
  signals: z.number().int(),
  types: z.array(counted),
  sources: z.array(counted),
  fields: z.array(z.object({ field: z.string(), count: z.number(), values: z.array(counted) })),
});
const enrichmentJsonSchema = z.strictObject({ version: z.number().int(), rules: z.array(z.unknown()), updatedAt: z.string().nullable(), updatedBy: z.string().nullable() });
const simulationJsonSchema = z.object({
  id: z.string(),
  status: z.string(),
  ruleId: z.string().optional(),
  since: z.string(),
  until: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  progress: z.object({ phase: z.string(), read: z.number(), total: z.number().nullable() }),
  report: z.unknown().optional(),
  samples: z.unknown().optional(),
  error: z.string().optional(),
});
const auditListSchema = z.object({ records: z.array(z.object({ at: z.string(), actor: z.string(), action: z.string(), subject: z.string(), outcome: z.enum(['done', 'denied']) })) });
const versionsSchema = z.strictObject({ versions: z.array(z.strictObject({ version: z.number().int(), definition: z.unknown(), createdAt: z.string() })) });
const adminsOnly = refused('only keys in a `correlation.admins` group change rules');
const exampleRule = { id: 'example-failed-logins', name: 'Failed logins', parts: [{ match: { type: 'login_failure' }, count: 3 }], window: '1h', groupBy: ['username'] };

function reply<T>(outcome: Outcome<T>, status: number, json: (value: T) => unknown): ApiReply {
  if (outcome.ok) return { status, body: json(outcome.value) };
  const { ok: _ok, status: code, ...rest } = outcome;
  return { status: code, body: rest };
}

export function mountRulesConsoleRoutes(api: ApiRouter, deps: { console: RulesConsole; correlation: Correlation }): void {
  const { console: rc, correlation } = deps;
  const tags = ['rules'];

  api.define(
    {
      method: 'GET', path: '/api/v1/fields', tags, auth: 'apiKey', query: fieldsQuerySchema,
      summary: 'What stored signals contain: types, sources, artifact fields and their frequent values',
      description: 'Counted at ingestion per UTC day (approximate across replicas); fills the rule editor\'s pickers.',
      responses: { 200: { description: 'the counts of the period', schema: fieldsReportSchema } },
      example: { query: { since: '30d' } },
    },
    async ({ query }) => ({ status: 200, body: await rc.fields.report(query.since, query.until ?? new Date(), query.top) }),
  );

  api.define(
    {
      method: 'POST', path: '/api/v1/rules/validate', tags, auth: 'apiKey', body: ruleBodySchema,
      summary: 'Check a rule definition without saving it',
      responses: { 200: { description: 'the rule as parsed', schema: z.object({ valid: z.literal(true), rule: z.unknown() }) }, 400: refused('the problems, by field path') },
      example: { body: { definition: exampleRule } },
    },
    async ({ body }) => reply(validateRule(body.definition), 200, (rule) => ({ valid: true, rule })),
  );

  api.define(
    {
      method: 'POST', path: '/api/v1/rules', tags, auth: 'apiKey', body: ruleBodySchema,
      summary: 'Create a rule (version 1)',
      responses: { 201: { description: 'the rule', schema: ruleJsonSchema }, 400: refused('the problems, by field path'), 403: adminsOnly, 409: refused('a rule with this id exists') },
      example: { body: { definition: exampleRule } },
    },
    async ({ body, key }) => reply(await rc.saveRule(apiEditor(key), body.definition, { mode: 'create' }), 201, ruleJson),
  );

  api.define(
    {
      method: 'PUT', path: '/api/v1/rules/:id', tags, auth: 'apiKey', params: ruleIdParamsSchema, body: ruleBodySchema,
      summary: 'Edit a rule: stored as a new version',
      responses: { 200: { description: 'the rule', schema: ruleJsonSchema }, 400: refused('the problems, by field path'), 403: adminsOnly, 404: refused('no such rule'), 409: refused('someone saved another version since `baseVersion`') },
    },
    async ({ params, body, key }) => reply(await rc.saveRule(apiEditor(key), body.definition, { mode: 'edit', id: params.id, baseVersion: body.baseVersion }), 200, ruleJson),
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/rules/:id/versions', tags, auth: 'apiKey', params: ruleIdParamsSchema,
      summary: 'Every stored version of a rule, newest first',
      responses: { 200: { description: 'the versions', schema: versionsSchema }, 404: { description: 'no such rule' } },
    },
    async ({ params }) => {
      const versions = await correlation.rules.history(params.id);
      if (!versions.length) return { status: 404, body: { error: 'not_found', message: `no rule ${params.id}` } };
      return { status: 200, body: { versions: versions.map((v) => ({ version: v.version, definition: v.definition, createdAt: v.createdAt.toISOString() })) } };
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/rule-audit', tags, auth: 'apiKey', query: auditQuerySchema,
      summary: 'Rule and enrichment changes and refusals, newest first',
      responses: { 200: { description: 'the audit records', schema: auditListSchema } },
    },
    async ({ query }) => {
      const records = await correlation.rules.audit.list(query.subject, query.limit);
      return { status: 200, body: { records: records.map((r) => ({ ...r, at: r.at.toISOString() })) } };
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/enrichment', tags, auth: 'apiKey',
      summary: 'The enrichment rules in force (source/type to a Positron query)',
      responses: { 200: { description: 'the current set', schema: enrichmentJsonSchema } },
    },
    async () => ({ status: 200, body: enrichmentJson(await rc.enrichment.current()) }),
  );

  api.define(
    {
      method: 'PUT', path: '/api/v1/enrichment', tags, auth: 'apiKey', body: enrichmentBodySchema,
      summary: 'Replace the enrichment rules (a new version)',
      responses: { 200: { description: 'the new set', schema: enrichmentJsonSchema }, 400: refused('the problems, by field path'), 403: adminsOnly, 409: refused('someone saved another version since `baseVersion`') },
      example: { body: { rules: [{ type: 'ids_alert', query: 'IP_TO_HOSTNAME', from: 'src_ip', to: 'src_hostname' }] } },
    },
    async ({ body, key }) => reply(await rc.saveEnrichment(apiEditor(key), body.rules, body.baseVersion), 200, enrichmentJson),
  );

  api.define(
    {
      method: 'POST', path: '/api/v1/simulations', tags, auth: 'apiKey', body: simulationBodySchema,
      summary: 'Run a draft or stored rule over the stored signals of a period',
      description: 'The backtest of `taser simulate --rule --since`, as a job: poll GET /api/v1/simulations/{id}, cancel with DELETE.',
      responses: { 202: { description: 'the job id', schema: z.strictObject({ id: z.string() }) }, 400: refused('the problems, by field path'), 404: refused('no such rule'), 429: refused('too many simulations running') },
      example: { body: { definition: exampleRule, since: '7d' } },
    },
    async ({ body, key }) => reply(await rc.startSimulation(apiEditor(key), body), 202, (v) => v),
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/simulations/:id', tags, auth: 'apiKey', params: simulationParamsSchema,
      summary: 'A simulation: status, progress, report and sample cards',
      responses: { 200: { description: 'the job', schema: simulationJsonSchema }, 404: { description: 'no such simulation' } },
    },
    async ({ params }) => {
      const doc = await rc.simulations.get(params.id);
      if (!doc) return { status: 404, body: { error: 'not_found', message: `no simulation ${params.id}` } };
      return { status: 200, body: simulationJson(doc) };
    },
  );

  api.define(
    {
      method: 'DELETE', path: '/api/v1/simulations/:id', tags, auth: 'apiKey', params: simulationParamsSchema,
      summary: 'Cancel a simulation',
      responses: { 202: { description: 'cancel requested', schema: z.strictObject({ id: z.string(), cancelRequested: z.literal(true) }) }, 404: { description: 'no such simulation' } },
    },
    async ({ params }) => {
      if (!(await rc.simulations.cancel(params.id))) return { status: 404, body: { error: 'not_found', message: `no simulation ${params.id}` } };
      return { status: 202, body: { id: params.id, cancelRequested: true } };
    },
  );
}
