// Okta: the System Log as a signal source (Event Hook webhook, and optionally polled), and the Okta Users
// API as a Positron directory (USER_INFO, USER_MANAGER).
import { definePlugin } from '../../src/plugins/define.js';
import { USER_INFO, USER_MANAGER } from '../../src/positron/query-types.js';
import { oktaApi } from './api.js';
import { oktaConfigSchema } from './config.js';
import { userInfo, userManager } from './directory.js';
import { mapOktaBody, OKTA_SOURCE } from './map.js';
import { fetchSystemLog } from './system-log-poller.js';

export default definePlugin({
  namespace: 'okta',
  description: 'Okta System Log signals (Event Hook or polling) and the Okta directory for Positron',
  config: oktaConfigSchema,
  enabledByDefault: false,
  exampleConfig: { orgUrl: 'https://example.okta.com', tokenEnv: 'OKTA_API_TOKEN', poll: { every: '1 minute', limit: 100 } },
  setup(plugin) {
    const config = plugin.config;
    const poll = config.poll;
    plugin.source({
      name: OKTA_SOURCE,
      map: mapOktaBody,
      // Okta verifies a new Event Hook once: GET with X-Okta-Verification-Challenge, echoed as {verification}.
      handshake({ headers }) {
        const challenge = headers['x-okta-verification-challenge'];
        return typeof challenge === 'string' && challenge ? { verification: challenge } : undefined;
      },
      poller: poll
        ? {
            every: poll.every,
            fetch: (cursor, ctx, signal) => fetchSystemLog(cursor, ctx.config, (name) => ctx.secret(name), ctx.http, signal),
          }
        : undefined,
    });

    if (config.orgUrl && config.tokenEnv && config.directory) {
      plugin.query({
        type: USER_INFO,
        name: 'user-info',
        answer: ({ user }, { signal, ctx }) => userInfo(oktaApi(ctx.config, (name) => ctx.secret(name), ctx.http), user, signal),
      });
      plugin.query({
        type: USER_MANAGER,
        name: 'user-manager',
        answer: ({ user }, { signal, ctx }) => userManager(oktaApi(ctx.config, (name) => ctx.secret(name), ctx.http), user, signal),
      });
    }
  },
});
