// POST /api/v1/positron/{query}: Positron for internal tools (e.g. Cortex analyzers), with an API key
// (config `apiKeys`) whose groups Positron's ACL checks. The body is the query input as JSON
// (e.g. {"ip":"10.1.2.3"}), or {"args":["10.1.2.3"]} as on the command line. Schemas: ./api-schemas.ts.
import type { ApiRouter } from '../app/api/route.js';
import { UsageError } from './query-types.js';
import { AccessDeniedError, UnknownQueryError, type Positron } from './service.js';
import { positronBody, positronParams, positronResultSchema } from './api-schemas.js';

export function mountPositronRoutes(api: ApiRouter, deps: { positron: Positron }): void {
  api.define(
    {
      method: 'POST', path: '/api/v1/positron/:query', tags: ['positron'], auth: 'apiKey', params: positronParams, body: positronBody, bodyLimit: 64 * 1024,
      summary: 'Ask Positron a standard question',
      description: "Every enabled provider is asked at once; the answers are ranked. The key's groups are checked by `positron.acl`; every question is audited.",
      responses: {
        200: { description: 'the ranked answers and what each provider did', schema: positronResultSchema },
        400: { description: 'the input is wrong for the query (`invalid_input`, with the reason)' },
        403: { description: "the key's groups may not ask this query" },
        404: { description: 'no such query' },
      },
      example: { params: { query: 'IP_TO_HOSTNAME' }, body: { ip: '10.1.2.3' } },
    },
    async ({ params, body, key }) => {
      const args = 'args' in body ? body.args : undefined;
      const request = Array.isArray(args) && args.every((a) => typeof a === 'string') ? { args: args as string[] } : { input: body };
      try {
        return { status: 200, body: await deps.positron.run({ kind: 'api', key: key.name, groups: key.groups }, params.query, request) };
      } catch (err) {
        if (err instanceof UnknownQueryError) return { status: 404, body: { error: 'unknown_query', message: err.message } };
        if (err instanceof AccessDeniedError) return { status: 403, body: { error: 'forbidden', message: err.message } };
        if (err instanceof UsageError) return { status: 400, body: { error: 'invalid_input', message: err.message } };
        throw err;
      }
    },
  );
}
