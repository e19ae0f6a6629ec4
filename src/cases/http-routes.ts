// The case HTTP API (/api/v1/cases...), with the app's API keys or the console's session; the caller acts as its ACL groups (`cases` config).
// Field errors answer 400 naming each field; 403 the ACL; 404 no such case or alert; 409 a state conflict.
// Schemas: ./api-schemas.ts and ./model.ts; the document: /api/v1/openapi.json.
import type { ApiCaller, ApiReply, ApiRouter } from '../app/api/route.js';
import type { Principal } from './access.js';
import { CaseForbiddenError, CaseInputError, CaseNotFoundError, CaseStateError, closeSchema, newCaseSchema, type StoredCase } from './model.js';
import { caseJson, caseSummaryJson } from './present.js';
import { addAlertBody, caseJsonSchema, caseListSchema, caseQuery, caseRefParams, caseSummaryJsonSchema } from './api-schemas.js';
import type { Cases } from './wire.js';

export function apiPrincipal(key: ApiCaller): Principal {
  return { actor: key.actor, isMember: async (groups) => groups.some((g) => key.groups.includes(g)) };
}

/** Case errors as HTTP answers; anything else is the server's fault (500 with an error id, by the router). */
export async function answering(run: () => Promise<ApiReply>): Promise<ApiReply> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CaseInputError) return { status: 400, body: { error: 'invalid_request', problems: err.problems } };
    if (err instanceof CaseForbiddenError) return { status: 403, body: { error: 'forbidden', message: err.message } };
    if (err instanceof CaseNotFoundError) return { status: 404, body: { error: 'not_found', message: err.message } };
    if (err instanceof CaseStateError) return { status: 409, body: { error: 'conflict', message: err.message } };
    throw err;
  }
}

const forbidden = { description: "the key's groups may not do this (the `cases` config)" };
const notFound = { description: 'no such case' };

export function mountCaseRoutes(api: ApiRouter, deps: { cases: Cases }): void {
  const { service } = deps.cases;
  const full = (c: StoredCase) => ({ status: 200, body: caseJson(c, service.link(c)) });

  api.define(
    {
      method: 'POST', path: '/api/v1/cases', tags: ['cases'], auth: 'apiKey', body: newCaseSchema,
      summary: 'Open a case',
      description: "With its alerts' artifacts as observables; mirrored to the case backend when one is enabled.",
      responses: { 201: { description: 'the case, in short', schema: caseSummaryJsonSchema }, 400: { description: 'a bad field, or an alert that does not exist' }, 403: forbidden },
      example: { body: { title: 'Suspicious logins for alice', severity: 'high', team: 'soc' } },
    },
    ({ body, key }) =>
      answering(async () => {
        const created = await service.create(apiPrincipal(key), body);
        return { status: 201, body: caseSummaryJson(created, service.link(created)) };
      }),
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/cases', tags: ['cases'], auth: 'apiKey', query: caseQuery,
      summary: 'Search cases',
      description: 'Cases newest first, filtered by status, team, assignee, artifact value or time range.',
      responses: { 200: { description: 'a page of cases', schema: caseListSchema } },
      example: { query: { status: 'open' } },
    },
    async ({ query }) => {
      const { cases: found, next, prev } = await service.list(query);
      return { status: 200, body: { cases: found.map((c) => caseSummaryJson(c, service.link(c))), next, prev } };
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/cases/:ref', tags: ['cases'], auth: 'apiKey', params: caseRefParams,
      summary: 'One case with its alerts, observables and sync state',
      responses: { 200: { description: 'the case', schema: caseJsonSchema }, 404: notFound },
    },
    ({ params }) => answering(async () => full(await service.require(params.ref))),
  );

  api.define(
    {
      method: 'POST', path: '/api/v1/cases/:ref/alerts', tags: ['cases'], auth: 'apiKey', params: caseRefParams, body: addAlertBody,
      summary: "Link an alert (and its artifacts) to a case",
      responses: { 200: { description: 'the case', schema: caseJsonSchema }, 400: { description: 'a bad field, or no such alert (field `alertId`)' }, 403: forbidden, 404: notFound, 409: { description: 'the case is closed' } },
      example: { body: { alertId: '0123456789abcdef01234567' } },
    },
    ({ params, body, key }) =>
      answering(async () => {
        try {
          return full(await service.addAlerts(apiPrincipal(key), params.ref, [body.alertId]));
        } catch (err) {
          // The alert named in the body does not exist: a field error (400), not a missing case.
          if (err instanceof CaseInputError) throw new CaseInputError(err.problems.map((p) => ({ ...p, field: 'alertId' })));
          throw err;
        }
      }),
  );

  api.define(
    {
      method: 'POST', path: '/api/v1/cases/:ref/close', tags: ['cases'], auth: 'apiKey', params: caseRefParams, body: closeSchema,
      summary: 'Close a case',
      responses: { 200: { description: 'the closed case', schema: caseJsonSchema }, 403: forbidden, 404: notFound, 409: { description: 'the case is already closed' } },
      example: { body: { resolution: 'false_positive', summary: 'a scheduled scan' } },
    },
    ({ params, body, key }) => answering(async () => full(await service.close(apiPrincipal(key), params.ref, body))),
  );

}
