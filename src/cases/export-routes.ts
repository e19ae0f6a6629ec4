// The case log and export HTTP API, with the app's API keys. Reading a case takes any valid key (as
// GET /api/v1/cases/{id} does), so verify and export do too; the artifact report reads alerts, which any valid
// key may (as GET /api/v1/alerts does). The schemas are the routes' contract: 400 names each bad field.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { ApiRouter } from '../app/api/route.js';
import type { Logger } from '../app/logger.js';
import { caseRefParams } from './api-schemas.js';
import { EXPORT_FORMATS } from './model.js';
import { artifactReportCsv, artifactReportJson, artifactReportQuery } from './export/artifact-report.js';
import type { Cases } from './wire.js';

export const caseExportQuery = z.strictObject({ format: z.enum(EXPORT_FORMATS, 'json or csv').default('json') });
export { artifactReportQuery };

const PROBLEMS = ['seq_gap', 'missing_hash', 'prev_hash_mismatch', 'hash_mismatch', 'truncated'] as const;
export const verifyResultSchema = z.union([
  z.strictObject({ ok: z.literal(true), entries: z.number().int(), head: z.string().describe('the hash of the last entry: compare it with an earlier copy') }),
  z.strictObject({
    ok: z.literal(false),
    seq: z.number().int().describe('the first entry that differs'),
    problem: z.enum(PROBLEMS),
    message: z.string(),
    entries: z.number().int(),
    expected: z.string().optional(),
    found: z.string().optional(),
  }),
]);

export const artifactReportSchema = z.strictObject({
  field: z.string(),
  rule: z.string().optional(),
  since: z.string(),
  until: z.string(),
  values: z.array(z.strictObject({ value: z.string(), alerts: z.number().int(), signals: z.number().int(), firstSeen: z.string(), lastSeen: z.string() })),
});

const notFound = { description: 'no such case' };

export function mountCaseExportRoutes(api: ApiRouter, deps: { cases: Cases; logger: Logger }): void {
  const { cases, logger } = deps;

  api.define(
    {
      method: 'GET', path: '/api/v1/cases/:ref/verify', tags: ['cases'], auth: 'apiKey', params: caseRefParams,
      summary: "Recompute a case log's hash chain",
      description: 'Answers `{ok: true, entries, head}`, or the first entry that differs and how (docs/case-log.md).',
      responses: { 200: { description: 'the verification', schema: verifyResultSchema }, 404: notFound },
    },
    async ({ params, key }) => {
      const c = await cases.service.get(params.ref);
      if (!c) return { status: 404, body: { error: 'not_found', message: `There is no case ${params.ref}.` } };
      const result = await cases.store.verify(c);
      if (!result.ok) logger.warn({ audit: 'case_log_verify_failed', case: c._id, number: c.number, key: key.name, ...result }, 'case log verification failed');
      return { status: 200, body: result };
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/cases/:ref/export', tags: ['cases'], auth: 'apiKey', params: caseRefParams, query: caseExportQuery,
      summary: 'Export a whole case',
      description: 'The case, its alerts, their signals, the artifacts and the log with its chain head, streamed: one JSON document, or a zip of one CSV file per table.',
      responses: { 200: { description: 'the export (JSON, or a zip of CSV files)', contentType: 'application/json' }, 404: notFound },
      example: { query: { format: 'json' } },
    },
    async ({ res, params, query, key }) => {
      const c = await cases.service.get(params.ref);
      if (!c) return { status: 404, body: { error: 'not_found', message: `There is no case ${params.ref}.` } };
      const out = cases.exports.stream(c, query.format);
      logger.info({ audit: 'case_exported', case: c._id, number: c.number, key: key.name, format: query.format }, 'case export started');
      res.writeHead(200, { 'content-type': out.contentType, 'content-disposition': `attachment; filename="${out.filename}"` });
      try {
        // Back-pressure: the next rows are read only when the client has taken the previous ones.
        await pipeline(Readable.from(out.body), res);
      } catch (err) {
        // The status is sent: the client sees a cut-off body (a JSON or zip that does not parse), never a partial "success".
        logger.error({ err, case: c._id }, 'case export interrupted');
        res.destroy();
      }
      return undefined;
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/artifacts', tags: ['cases'], auth: 'apiKey', query: artifactReportQuery,
      summary: 'Distinct values of one artifact field across alerts',
      description: 'Each value with its alert and signal counts and first/last seen, for alerts of a rule (optional) since a duration ago.',
      responses: { 200: { description: 'the values (JSON, or CSV with format=csv)', schema: artifactReportSchema } },
      example: { query: { field: 'username', since: '30d' } },
    },
    async ({ res, query }) => {
      const now = new Date();
      const counts = await cases.exports.artifacts(query, now);
      if (query.format === 'json') return { status: 200, body: artifactReportJson(query, counts, now) };
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="artifacts-${query.field}.csv"` });
      await pipeline(Readable.from(artifactReportCsv(counts)), res);
      return undefined;
    },
  );
}
