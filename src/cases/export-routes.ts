// The case log and export HTTP API, with the app's API keys. Reading a case takes any valid key (as
// GET /api/v1/cases/{id} does), so verify and export do too; the artifact report reads alerts, which any valid
// key may (as GET /api/v1/alerts does).
//   GET /api/v1/cases/{idOrNumber}/verify             {ok: true, entries, head} | {ok: false, seq, problem, message, ...}
//   GET /api/v1/cases/{idOrNumber}/export?format=json|csv   the whole case, streamed (JSON, or a zip of CSV files)
//   GET /api/v1/artifacts?field=&rule=&since=30d&format=json|csv   each distinct value with counts, first/last seen
// The schemas below are the routes' contract (params, query): 400 names each bad field.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { withApiKey, type ApiHandler, type ApiKey } from '../app/api-keys.js';
import { parseQuery } from '../correlation/http-routes.js';
import { parseCaseRef } from './model.js';
import { EXPORT_FORMATS } from './export/index.js';
import { artifactReportCsv, artifactReportJson, artifactReportQuery } from './export/artifact-report.js';
import type { Cases } from './wire.js';

export const caseRefParams = z.strictObject({
  ref: z.string().refine((r) => parseCaseRef(r) !== undefined, 'a case number (12) or id (24 hex characters)'),
});
export const caseVerifyQuery = z.strictObject({});
export const caseExportQuery = z.strictObject({ format: z.enum(EXPORT_FORMATS, 'json or csv').default('json') });
export { artifactReportQuery };

export function mountCaseExportRoutes(http: HttpServer, deps: { cases: Cases; keys: ApiKey[]; logger: Logger }): void {
  const { cases, logger } = deps;
  const authed = (handler: ApiHandler) => withApiKey(deps.keys, logger, handler);

  /** The case named by the path, or an answer already sent (400 / 404). */
  async function caseOf(params: Record<string, string>, res: Parameters<ApiHandler>[1]) {
    const p = caseRefParams.safeParse(params);
    if (!p.success) {
      sendJson(res, 400, { error: 'invalid_request', problems: p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      return undefined;
    }
    const c = await cases.service.get(p.data.ref);
    if (!c) sendJson(res, 404, { error: 'not_found', message: `There is no case ${p.data.ref}.` });
    return c ?? undefined;
  }

  http.route('GET', '/api/v1/cases/:ref/verify', authed(async (req, res, params, key) => {
    const q = parseQuery(req, caseVerifyQuery);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const c = await caseOf(params, res);
    if (!c) return;
    const result = await cases.store.verify(c);
    if (!result.ok) logger.warn({ audit: 'case_log_verify_failed', case: c._id, number: c.number, key: key.name, ...result }, 'case log verification failed');
    sendJson(res, 200, result);
  }));

  http.route('GET', '/api/v1/cases/:ref/export', authed(async (req, res, params, key) => {
    const q = parseQuery(req, caseExportQuery);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const c = await caseOf(params, res);
    if (!c) return;
    const out = cases.exports.stream(c, q.value.format);
    logger.info({ audit: 'case_exported', case: c._id, number: c.number, key: key.name, format: q.value.format }, 'case export started');
    res.writeHead(200, { 'content-type': out.contentType, 'content-disposition': `attachment; filename="${out.filename}"` });
    try {
      // Back-pressure: the next rows are read only when the client has taken the previous ones.
      await pipeline(Readable.from(out.body), res);
    } catch (err) {
      // The status is sent: the client sees a cut-off body (a JSON or zip that does not parse), never a partial "success".
      logger.error({ err, case: c._id }, 'case export interrupted');
      res.destroy();
    }
  }));

  http.route('GET', '/api/v1/artifacts', authed(async (req, res) => {
    const q = parseQuery(req, artifactReportQuery);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const now = new Date();
    const counts = await cases.exports.artifacts(q.value, now);
    if (q.value.format === 'json') return sendJson(res, 200, artifactReportJson(q.value, counts, now));
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="artifacts-${q.value.field}.csv"` });
    await pipeline(Readable.from(artifactReportCsv(counts)), res);
  }));
}
