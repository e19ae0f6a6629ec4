// The HTTP API for signals, alerts and rules (/api/v1/...), with the app's API keys:
//   GET  /api/v1/alerts?rule=&status=&team=&since=&until=&artifact=&limit=&cursor=
//   GET  /api/v1/alerts/{id}
//   GET  /api/v1/signals?artifact=&type=&source=&since=&until=&limit=&cursor=
//   GET  /api/v1/rules, GET /api/v1/rules/{id}
//   POST /api/v1/rules/{id}/enable, POST /api/v1/rules/{id}/disable   (keys in a `correlation.admins` group)
// Lists are newest first; `next` is the cursor of the following page.
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { withApiKey, type ApiHandler, type ApiKey } from '../app/api-keys.js';
import { parseEventTime } from '../signals/signal.js';
import { normalizeValue } from '../signals/normalize.js';
import { cursorSchema } from '../store/keyset.js';
import { ALERT_STATUSES, type StoredAlert } from './alert-store.js';
import type { Correlation } from './service.js';
import type { StoredRule } from './rule-store.js';
import type { Rule } from './rule.js';

export const time = z
  .string()
  .refine((v) => parseEventTime(v) !== undefined, 'an ISO-8601 time with an offset or Z, e.g. 2026-11-24T00:00:00Z')
  .transform((v) => new Date(parseEventTime(v)!));

/** `field=value` or a bare value, normalized the way stored artifacts are. */
export const artifact = z
  .string()
  .min(1)
  .transform((v, ctx) => {
    const eq = v.indexOf('=');
    const [field, value] = eq > 0 ? [v.slice(0, eq), v.slice(eq + 1)] : [undefined, v];
    const normalized = normalizeValue(value);
    if (normalized === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs a value: field=value or value' });
      return z.NEVER;
    }
    return field ? `${field}=${normalized}` : normalized;
  });

export const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  // Keyset paging (store/keyset.ts): an opaque, bounded token, checked before any query.
  cursor: cursorSchema.optional(),
};

const alertQuery = z.strictObject({
  rule: z.string().min(1).optional(),
  status: z.enum(ALERT_STATUSES).optional(),
  team: z.string().min(1).transform((t) => t.toLowerCase()).optional(),
  since: time.optional(),
  until: time.optional(),
  artifact: artifact.optional(),
  ...page,
});

const signalQuery = z.strictObject({
  artifact: artifact.optional(),
  type: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  since: time.optional(),
  until: time.optional(),
  ...page,
});

export function alertJson(a: StoredAlert) {
  return {
    id: a._id,
    rule: a.ruleId,
    ruleVersion: a.ruleVersion,
    ruleName: a.ruleName,
    group: a.group,
    severity: a.severity,
    team: a.team,
    status: a.status,
    active: a.active,
    signals: a.signals,
    signalCount: a.signalCount,
    firstSeen: a.firstSeen.toISOString(),
    lastSeen: a.lastSeen.toISOString(),
    link: a.link,
    history: a.history.map((h) => ({ ...h, at: h.at.toISOString() })),
  };
}

export function ruleJson(r: StoredRule & { rule: Rule }) {
  return { id: r._id, version: r.version, enabled: r.enabled, updatedAt: r.updatedAt.toISOString(), updatedBy: r.updatedBy, definition: r.definition };
}

export function parseQuery<T extends z.ZodType>(req: IncomingMessage, schema: T): { ok: true; value: z.output<T> } | { ok: false; problems: string[] } {
  const params = Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams);
  const parsed = schema.safeParse(params);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`) };
}

export function mountCorrelationRoutes(
  http: HttpServer,
  deps: { correlation: Correlation; keys: ApiKey[]; logger: Logger },
): void {
  const { correlation, logger } = deps;

  const authed = (handler: ApiHandler) => withApiKey(deps.keys, logger, handler);

  http.route('GET', '/api/v1/alerts', authed(async (req, res) => {
    const q = parseQuery(req, alertQuery);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const { alerts, next } = await correlation.alerts.search(q.value);
    sendJson(res, 200, { alerts: alerts.map(alertJson), next });
  }));

  http.route('GET', '/api/v1/alerts/:id', authed(async (_req, res, params) => {
    const alert = await correlation.alerts.get(params.id!);
    if (!alert) return sendJson(res, 404, { error: 'not_found', message: `no alert ${params.id}` });
    sendJson(res, 200, alertJson(alert));
  }));

  http.route('GET', '/api/v1/signals', authed(async (req, res) => {
    const q = parseQuery(req, signalQuery);
    if (!q.ok) return sendJson(res, 400, { error: 'invalid_query', problems: q.problems });
    const { signals, next } = await correlation.signals.search(q.value);
    sendJson(res, 200, { signals, next });
  }));

  http.route('GET', '/api/v1/rules', authed(async (_req, res) => {
    sendJson(res, 200, { rules: (await correlation.rules.list()).map(ruleJson) });
  }));

  http.route('GET', '/api/v1/rules/:id', authed(async (_req, res, params) => {
    const rule = await correlation.rules.get(params.id!);
    if (!rule) return sendJson(res, 404, { error: 'not_found', message: `no rule ${params.id}` });
    sendJson(res, 200, ruleJson(rule));
  }));

  for (const action of ['enable', 'disable'] as const) {
    http.route('POST', `/api/v1/rules/:id/${action}`, authed(async (_req, res, params, key) => {
      if (!key.groups.some((g) => correlation.admins.includes(g))) {
        logger.warn({ audit: 'rule_switch_denied', key: key.name, rule: params.id, action }, 'rule switch refused');
        await correlation.rules.audit.record({ actor: `api:${key.name}`, action: `${action}d`, subject: params.id!, outcome: 'denied' });
        return sendJson(res, 403, { error: 'forbidden', message: `only keys in a correlation.admins group may ${action} rules` });
      }
      const found = await correlation.rules.setEnabled(params.id!, action === 'enable', `api:${key.name}`);
      if (!found) return sendJson(res, 404, { error: 'not_found', message: `no rule ${params.id}` });
      logger.info({ audit: 'rule_switched', key: key.name, rule: params.id, enabled: action === 'enable' }, `rule ${action}d`);
      sendJson(res, 200, ruleJson((await correlation.rules.get(params.id!))!));
    }));
  }
}
