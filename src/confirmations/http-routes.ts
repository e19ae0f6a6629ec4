// The confirmation HTTP API, with the app's API keys (a key acts as its ACL groups, as for cases):
//   POST /api/v1/confirmations       {alertId? | caseId?, user, question?} -> 201 the flow
//   GET  /api/v1/confirmations/{id}  where the flow stands, its transitions and pages
// 400 names each wrong field; 403 the cases ACL; 404 no such flow, alert or case; 409 a closed case.
import type { ApiRouter } from '../app/api/route.js';
import { apiPrincipal } from '../cases/http-routes.js';
import type { Cases } from '../cases/wire.js';
import type { StoredFlow } from './model.js';
import type { Confirmations } from './wire.js';
import { FlowInputError, FlowNotFoundError } from './service.js';
import { confirmationParams, confirmationResponse, startConfirmationBody, type ConfirmationResponse } from './http-schemas.js';

const BODY_LIMIT = 64 * 1024;

export async function flowJson(c: Confirmations, flow: StoredFlow): Promise<ConfirmationResponse> {
  const [transitions, pages] = await Promise.all([c.store.history(flow._id), c.pages.pages.find({ flowId: flow._id }).toArray()]);
  const iso = (d: Date | undefined) => d?.toISOString();
  const ans = (a: StoredFlow['userAnswer'] | StoredFlow['managerAnswer']) => (a ? { answer: a.answer, by: a.by, at: a.at.toISOString() } : undefined);
  const out: ConfirmationResponse = {
    id: flow._id,
    state: flow.state,
    caseId: flow.caseId,
    caseNumber: flow.caseNumber,
    severity: flow.severity,
    user: flow.user,
    problems: flow.problems.map((p) => ({ at: p.at.toISOString(), message: p.message })),
    pages: pages.map((p) => ({ action: p.event.action, status: p.status, attempts: p.attempts, ...(p.lastError ? { lastError: p.lastError } : {}) })),
    transitions: transitions.map((t) => ({ from: t.from, to: t.to, cause: t.cause, by: t.by, at: t.at.toISOString(), ...(t.answer ? { answer: t.answer } : {}), ...(t.note ? { note: t.note } : {}) })),
    createdAt: flow.createdAt.toISOString(),
    createdBy: flow.createdBy,
  };
  return JSON.parse(JSON.stringify({
    ...out,
    alertId: flow.alertId, userUnresolved: flow.userUnresolved, manager: flow.manager, managerUnresolved: flow.managerUnresolved,
    oncall: flow.oncall, oncallUnresolved: flow.oncallUnresolved, userAnswer: ans(flow.userAnswer), managerAnswer: ans(flow.managerAnswer), deadline: iso(flow.deadline),
  })) as ConfirmationResponse;
}

export function mountConfirmationRoutes(api: ApiRouter, deps: { confirmations: Confirmations; cases: Cases }): void {
  const { confirmations, cases } = deps;

  api.define(
    {
      method: 'POST', path: '/api/v1/confirmations', tags: ['confirmations'], auth: 'apiKey', body: startConfirmationBody, bodyLimit: BODY_LIMIT,
      summary: 'Ask someone whether it was them',
      description: 'Starts a confirmation flow on an alert or a case: a Slack DM to the user, then their manager, then on-call (docs/confirmations.md).',
      responses: {
        201: { description: 'the flow', schema: confirmationResponse },
        403: { description: "the key's groups may not work on the case (the `cases` config)" },
        404: { description: 'no such alert or case' },
        409: { description: 'the case is closed, or the flow cannot start' },
      },
      example: { body: { alertId: '0123456789abcdef01234567', user: 'alice@example.com' } },
    },
    async ({ body: input, key }) => {
      const principal = apiPrincipal(key);
      try {
        // Asking someone about a case is work on it; about a bare alert, it may open a case for the alert's team.
        const theCase = input.caseId !== undefined ? await cases.service.get(input.caseId) : null;
        if (input.caseId !== undefined && !theCase) return { status: 404, body: { error: 'not_found', message: `no case ${input.caseId}` } };
        const alert = input.alertId ? await confirmations.service.deps.alerts.get(input.alertId) : null;
        if (input.alertId && !alert) return { status: 404, body: { error: 'not_found', message: `no alert ${input.alertId}` } };
        const refusal = await cases.access.refusal(principal, theCase ? 'work' : 'create', theCase ? { ...(theCase.team ? { team: theCase.team } : {}), caseId: theCase._id, number: theCase.number } : alert?.team ? { team: alert.team.toLowerCase() } : {});
        if (refusal) return { status: 403, body: { error: 'forbidden', message: refusal } };
        const flow = await confirmations.service.start({ ...(input.alertId ? { alertId: input.alertId } : {}), ...(theCase ? { caseId: theCase._id } : {}), user: input.user, ...(input.question ? { question: input.question } : {}), by: principal.actor });
        return { status: 201, body: await flowJson(confirmations, flow) };
      } catch (err) {
        if (err instanceof FlowNotFoundError) return { status: 404, body: { error: 'not_found', message: err.message } };
        if (err instanceof FlowInputError) return { status: 409, body: { error: 'conflict', message: err.message } };
        throw err;
      }
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/confirmations/:id', tags: ['confirmations'], auth: 'apiKey', params: confirmationParams,
      summary: 'Where a confirmation flow stands',
      description: 'Its state, who was asked and what they answered, every transition (who, when, why) and the pages sent.',
      responses: { 200: { description: 'the flow', schema: confirmationResponse }, 404: { description: 'no such flow' } },
    },
    async ({ params }) => {
      const flow = await confirmations.store.get(params.id);
      if (!flow) return { status: 404, body: { error: 'not_found', message: `no confirmation flow ${params.id}` } };
      return { status: 200, body: await flowJson(confirmations, flow) };
    },
  );
}
