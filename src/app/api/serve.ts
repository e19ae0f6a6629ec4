// Serves the API's description: GET /api/v1/openapi.json (itself a documented route) and the /api/docs page.
// Both are open, like /healthz and /metrics: they hold the API's shape (routes, fields, error codes), no data,
// no configuration and no key; every route they describe still needs its key.
import { z } from 'zod';
import type { HttpServer } from '../http-server.js';
import { openApiDocument, type OpenApiDocument } from './openapi.js';
import { DOCS_CSP, DOCS_STYLE, DOCS_STYLE_PATH, docsPageHtml } from './docs-page.js';
import type { ApiRouter } from './route.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/api/docs';

const documentSchema = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export function mountApiDocs(http: HttpServer, api: ApiRouter, version: string): void {
  // Made at the first request, when every route is mounted; made again if a route is added later.
  let cached: { count: number; doc: OpenApiDocument } | undefined;
  const document = () => {
    if (cached?.count !== api.routes.length) cached = { count: api.routes.length, doc: openApiDocument(api.routes, version) };
    return cached.doc;
  };

  api.define(
    {
      method: 'GET', path: OPENAPI_PATH, tags: ['meta'], auth: 'none',
      summary: 'This API as an OpenAPI 3.1 document',
      description: "Made from the zod schemas that validate each route's requests; open, like `/healthz` (it holds no data). The same, readable: `/api/docs`.",
      responses: { 200: { description: 'the OpenAPI document', schema: documentSchema } },
    },
    async () => ({ status: 200, body: document() }),
  );

  const headers = { 'content-security-policy': DOCS_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' };
  http.route('GET', DOCS_PATH, (_req, res) => {
    const html = docsPageHtml(document());
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
    res.end(html);
  });
  http.route('GET', DOCS_STYLE_PATH, (_req, res) => {
    res.writeHead(200, { ...headers, 'content-type': 'text/css; charset=utf-8', 'content-length': Buffer.byteLength(DOCS_STYLE) });
    res.end(DOCS_STYLE);
  });
}
