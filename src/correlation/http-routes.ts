// The HTTP API for signals, alerts and rules (/api/v1/...), with the app's API keys. Lists are newest first;
// `next` is the cursor of the following page. Schemas: ./api-schemas.ts; the document: /api/v1/openapi.json.
import type { Logger } from '../app/logger.js';
import type { ApiRouter } from '../app/api/route.js';
import type { Correlation } from './service.js';
import { alertJson, alertJsonSchema, alertListSchema, alertQuery, idParams, ruleJson, ruleJsonSchema, ruleListSchema, signalListSchema, signalQuery } from './api-schemas.js';

// Other modules' list routes share these query parameters.
export { artifact, page, time } from './api-schemas.js';

export function mountCorrelationRoutes(api: ApiRouter, deps: { correlation: Correlation; logger: Logger }): void {
  const { correlation, logger } = deps;
  const notFound = (what: string, id: string) => ({ status: 404, body: { error: 'not_found', message: `no ${what} ${id}` } });

  api.define(
    {
      method: 'GET', path: '/api/v1/alerts', tags: ['alerts'], auth: 'apiKey', query: alertQuery,
      summary: 'Search alerts',
      description: 'Alerts newest first, filtered by rule, status, team, time range (first seen) or artifact value.',
      responses: { 200: { description: 'a page of alerts', schema: alertListSchema } },
      example: { query: { status: 'open', limit: '10' } },
    },
    async ({ query }) => {
      const { alerts, next, prev } = await correlation.alerts.search(query);
      return { status: 200, body: { alerts: alerts.map(alertJson), next, prev } };
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/alerts/:id', tags: ['alerts'], auth: 'apiKey', params: idParams,
      summary: 'One alert with its history',
      responses: { 200: { description: 'the alert', schema: alertJsonSchema }, 404: { description: 'no such alert' } },
    },
    async ({ params }) => {
      const alert = await correlation.alerts.get(params.id);
      return alert ? { status: 200, body: alertJson(alert) } : notFound('alert', params.id);
    },
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/signals', tags: ['signals'], auth: 'apiKey', query: signalQuery,
      summary: 'Search stored signals',
      description: 'Stored signals newest first (event time), filtered by artifact value, type, source or time range.',
      responses: { 200: { description: 'a page of signals', schema: signalListSchema } },
      example: { query: { artifact: 'user=alice', limit: '10' } },
    },
    async ({ query }) => ({ status: 200, body: await correlation.signals.search(query) }),
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/rules', tags: ['rules'], auth: 'apiKey',
      summary: 'The correlation rules, their versions and switches',
      responses: { 200: { description: 'every rule', schema: ruleListSchema } },
    },
    async () => ({ status: 200, body: { rules: (await correlation.rules.list()).map(ruleJson) } }),
  );

  api.define(
    {
      method: 'GET', path: '/api/v1/rules/:id', tags: ['rules'], auth: 'apiKey', params: idParams,
      summary: 'One correlation rule',
      responses: { 200: { description: 'the rule', schema: ruleJsonSchema }, 404: { description: 'no such rule' } },
    },
    async ({ params }) => {
      const rule = await correlation.rules.get(params.id);
      return rule ? { status: 200, body: ruleJson(rule) } : notFound('rule', params.id);
    },
  );

  for (const action of ['enable', 'disable'] as const) {
    api.define(
      {
        method: 'POST', path: `/api/v1/rules/:id/${action}`, tags: ['rules'], auth: 'apiKey', params: idParams,
        summary: `${action === 'enable' ? 'Enable' : 'Disable'} a rule`,
        description: 'Keys in a `correlation.admins` group only; audited.',
        responses: {
          200: { description: 'the rule after the switch', schema: ruleJsonSchema },
          403: { description: 'the key is in no `correlation.admins` group' },
          404: { description: 'no such rule' },
        },
      },
      async ({ params, key }) => {
        if (!key.groups.some((g) => correlation.admins.includes(g))) {
          logger.warn({ audit: 'rule_switch_denied', key: key.name, rule: params.id, action }, 'rule switch refused');
          await correlation.rules.audit.record({ actor: key.actor, action: `${action}d`, subject: params.id, outcome: 'denied' });
          return { status: 403, body: { error: 'forbidden', message: `only keys in a correlation.admins group may ${action} rules` } };
        }
        const found = await correlation.rules.setEnabled(params.id, action === 'enable', key.actor);
        if (!found) return notFound('rule', params.id);
        logger.info({ audit: 'rule_switched', key: key.name, rule: params.id, enabled: action === 'enable' }, `rule ${action}d`);
        return { status: 200, body: ruleJson((await correlation.rules.get(params.id))!) };
      },
    );
  }
}
