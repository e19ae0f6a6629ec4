// PagerDuty: answers ONCALL_FOR_TEAM from the REST API's GET /oncalls, and, with a routing key, is the pager
// of confirmation flows (src/confirmations/ports.ts): Events API v2 trigger and resolve, dedup_key = case id.
import { definePlugin } from '../../src/plugins/define.js';
import { ONCALL_FOR_TEAM } from '../../src/positron/query-types.js';
import { PagerDutyClient, PagerDutyError, type Oncall } from './client.js';
import { PagerError } from '../../src/confirmations/ports.js';
import { findTeam, pagerDutyConfig } from './config.js';
import { oncallAnswers } from './oncall-answers.js';

export default definePlugin({
  namespace: 'pagerduty',
  description: 'Who is on call for a team, from PagerDuty',
  config: pagerDutyConfig,
  enabledByDefault: false,
  exampleConfig: {
    tokenEnv: 'PAGERDUTY_TOKEN',
    teams: { appsec: { escalationPolicyIds: ['PT20YPA'] }, netsec: { scheduleIds: ['PI7DH85'] } },
  },
  setup(plugin) {
    plugin.query({
      type: ONCALL_FOR_TEAM,
      name: 'oncall',
      async answer({ team }, { signal, ctx }) {
        const targets = findTeam(ctx.config, team);
        if (!targets) return [];
        const token = ctx.secret(ctx.config.tokenEnv);
        if (!token) throw new Error(`PagerDuty API key missing: set the environment variable ${ctx.config.tokenEnv}`);
        const client = new PagerDutyClient({ http: ctx.http, apiUrl: ctx.config.apiUrl, token });
        const common = { includeUsers: true, earliest: true };
        // PagerDuty combines different filters with AND; a team's policies and schedules are OR: ask apart.
        const lists = await Promise.all([
          targets.escalationPolicyIds.length ? client.listOncalls({ ...common, escalationPolicyIds: targets.escalationPolicyIds }, signal) : undefined,
          targets.scheduleIds.length ? client.listOncalls({ ...common, scheduleIds: targets.scheduleIds }, signal) : undefined,
        ]);
        const oncalls: Oncall[] = [];
        for (const list of lists) {
          if (!list) continue;
          if (list.truncated) ctx.logger.warn({ team }, 'PagerDuty has more on-calls than its 10,000-item window: the answer may be incomplete');
          oncalls.push(...list.oncalls);
        }
        return oncallAnswers(oncalls);
      },
    });

    if (plugin.config.routingKeyEnv) {
      const keyEnv = plugin.config.routingKeyEnv;
      plugin.pager({
        create(ctx) {
          const routingKey = ctx.secret(keyEnv);
          if (!routingKey) throw new Error(`PagerDuty routing key missing: set the environment variable ${keyEnv}`);
          const client = new PagerDutyClient({ http: ctx.http, eventsUrl: ctx.config.eventsUrl });
          return {
            name: 'pagerduty',
            async send(event, signal) {
              try {
                if (event.action === 'resolve') await client.resolve(routingKey, event.dedupKey, signal);
                else {
                  await client.trigger({
                    routing_key: routingKey,
                    dedup_key: event.dedupKey,
                    payload: { summary: event.summary, source: event.source, severity: event.severity, ...(event.details ? { custom_details: event.details } : {}) },
                    client: 'taser',
                    ...(event.link ? { client_url: event.link, links: [{ href: event.link, text: event.source }] } : {}),
                  }, signal);
                }
              } catch (err) {
                if (err instanceof PagerDutyError) throw new PagerError(err.message, err.retryable || err.status === undefined, { ...(err.status ? { status: err.status } : {}), ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
                throw err;
              }
            },
          };
        },
      });
    }
  },
});
