// The confirmation HTTP API, with the app's API keys (a key acts as its ACL groups, as for cases):
//   POST /api/v1/confirmations       {alertId? | caseId?, user, question?} -> 201 the flow
//   GET  /api/v1/confirmations/{id}  where the flow stands, its transitions and pages
// 400 names each wrong field; 403 the cases ACL; 404 no such flow, alert or case; 409 a closed case.
import { z } from 'zod';
import { readBody, sendJson, BodyTooLargeError, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { withApiKey, type ApiKey } from '../app/api-keys.js';
import { apiPrincipal } from '../cases/http-routes.js';
import type { Cases } from '../cases/wire.js';
import type { StoredFlow } from './model.js';
import type { Confirmations } from './wire.js';
import { FlowInputError, FlowNotFoundError } from './service.js';
import { confirmationParams, startConfirmationBody, type ConfirmationResponse } from './http-schemas.js';

const BODY_LIMIT = 64 * 1024;
const problems = (error: z.ZodError) => error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));

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

export function mountConfirmationRoutes(http: HttpServer, deps: { confirmations: Confirmations; cases: Cases; keys: ApiKey[]; logger: Logger }): void {
  const { confirmations, cases, logger } = deps;

  http.route('POST', '/api/v1/confirmations', withApiKey(deps.keys, logger, async (req, res, _params, key) => {
    let body: unknown;
    try {
      const raw = await readBody(req, BODY_LIMIT);
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'too_large', message: err.message });
      return sendJson(res, 400, { error: 'invalid_json', message: 'the body must be a JSON object' });
    }
    const parsed = startConfirmationBody.safeParse(body);
    if (!parsed.success) return sendJson(res, 400, { error: 'invalid_request', problems: problems(parsed.error) });
    const input = parsed.data;
    const principal = apiPrincipal(key);
    try {
      // Asking someone about a case is work on it; about a bare alert, it may open a case for the alert's team.
      const theCase = input.caseId !== undefined ? await cases.service.get(input.caseId) : null;
      if (input.caseId !== undefined && !theCase) return sendJson(res, 404, { error: 'not_found', message: `no case ${input.caseId}` });
      const alert = input.alertId ? await deps.confirmations.service.deps.alerts.get(input.alertId) : null;
      if (input.alertId && !alert) return sendJson(res, 404, { error: 'not_found', message: `no alert ${input.alertId}` });
      const refusal = await cases.access.refusal(principal, theCase ? 'work' : 'create', theCase ? { ...(theCase.team ? { team: theCase.team } : {}), caseId: theCase._id, number: theCase.number } : alert?.team ? { team: alert.team.toLowerCase() } : {});
      if (refusal) return sendJson(res, 403, { error: 'forbidden', message: refusal });
      const flow = await confirmations.service.start({ ...(input.alertId ? { alertId: input.alertId } : {}), ...(theCase ? { caseId: theCase._id } : {}), user: input.user, ...(input.question ? { question: input.question } : {}), by: principal.actor });
      sendJson(res, 201, await flowJson(confirmations, flow));
    } catch (err) {
      if (err instanceof FlowNotFoundError) return sendJson(res, 404, { error: 'not_found', message: err.message });
      if (err instanceof FlowInputError) return sendJson(res, 409, { error: 'conflict', message: err.message });
      throw err;
    }
  }));

  http.route('GET', '/api/v1/confirmations/:id', withApiKey(deps.keys, logger, async (_req, res, params) => {
    const parsed = confirmationParams.safeParse(params);
    if (!parsed.success) return sendJson(res, 400, { error: 'invalid_request', problems: problems(parsed.error) });
    const flow = await confirmations.store.get(parsed.data.id);
    if (!flow) return sendJson(res, 404, { error: 'not_found', message: `no confirmation flow ${parsed.data.id}` });
    sendJson(res, 200, await flowJson(confirmations, flow));
  }));
}
