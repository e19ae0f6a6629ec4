// The web console under /ui on taser's own HTTP server (both Slack modes, same port, same process). Page
// modules register their routes here, one line each.
import type { WebClient } from '@slack/web-api';
import { sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import type { AccessControl, Renderer } from '../plugins/types.js';
import type { Correlation } from '../correlation/service.js';
import type { Cases } from '../cases/wire.js';
import { Assets } from './assets.js';
import { ConsoleAuth } from './auth.js';
import type { ConsoleSettings } from './config.js';
import { SignInError, SlackOidc } from './oidc.js';
import { Views } from './render.js';
import { ConsoleRouter, redirect, safeNext, sendHtml } from './router.js';
import { registerHomePage } from './pages/home.js';
import { registerSearchPages } from './pages/search.js';
import { registerRecordPages } from './pages/records.js';
import { registerRulePages } from './pages/rules.js';
import { registerSimulatorPages } from './pages/simulate.js';
import { registerEnrichmentPages } from './pages/enrichment.js';
import type { RulesConsole } from '../rules-console/service.js';
import type { ApiRouter } from '../app/api/route.js';
import { consoleApiSessions } from './api-session.js';

export interface ConsoleDeps {
  settings: ConsoleSettings;
  access: AccessControl;
  correlation: Correlation;
  cases: Cases;
  /** Block Kit templates (the alert card preview). */
  templates: Renderer;
  /** The bot's Web API client (users.lookupByEmail for the trusted-header mode). */
  slack: WebClient;
  /** SLACK_API_URL: where openid.connect.token is called. */
  slackApiUrl?: string;
  logger: Logger;
  /** The rules editor, enrichment and simulator (src/rules-console), with Positron's query names. */
  rulesConsole?: RulesConsole;
  knownQueries?: () => string[];
  /** /api/v1: its `apiKey` routes also take the console's session (api-session.ts), with the config's group names. */
  api?: ApiRouter;
  groupNames?: () => readonly string[];
}

export function mountConsole(http: HttpServer, deps: ConsoleDeps): ConsoleRouter {
  const logger = deps.logger.child({ component: 'console' });
  const assets = new Assets();
  const views = new Views(assets);
  const auth = new ConsoleAuth(deps.settings, { access: deps.access, admins: () => deps.correlation.admins, slack: deps.slack, logger });
  const router = new ConsoleRouter(http, views, auth, logger);
  deps.api?.acceptSessions(consoleApiSessions(auth, { access: deps.access, groupNames: deps.groupNames ?? (() => []), logger }));
  const oidc = deps.settings.oidc ? new SlackOidc(deps.settings, auth, { slackApiUrl: deps.slackApiUrl, logger }) : undefined;

  router.open('GET', '/ui/assets/:name', (_req, res, params) => {
    if (!assets.serve(params.name!, res)) sendJson(res, 404, { error: 'not_found' });
  });

  const loginPage = (res: Parameters<typeof sendHtml>[0], status: number, data: { error?: string; next: string }) =>
    sendHtml(res, status, views.page('login', { ...data, slack: Boolean(oidc), proxy: Boolean(deps.settings.trustedProxy) }, { title: 'Sign in' }));

  router.open('GET', '/ui/login', async (req, res) => {
    const next = safeNext(new URL(req.url ?? '/', 'http://localhost').searchParams.get('next'));
    // Behind the SSO proxy the header alone signs in: no page to show.
    if (await auth.session(req, res)) return redirect(res, next, false);
    loginPage(res, 200, { next });
  });
  if (oidc) {
    router.open('GET', '/ui/login/slack', (req, res) => oidc.start(req, res));
    router.open('GET', '/ui/auth/callback', async (req, res) => {
      try {
        redirect(res, await oidc.callback(req, res), false);
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        logger.warn({ audit: 'console_sign_in_failed', reason: err.message }, 'console sign-in failed');
        loginPage(res, 400, { error: err.message, next: '/ui' });
      }
    });
  }
  router.page('POST', '/ui/logout', (c) => {
    auth.signOut(c.res);
    logger.info({ audit: 'console_sign_out', user: c.user.id }, 'console sign-out');
    c.redirect('/ui/login');
  });

  registerHomePage(router, deps);
  registerSearchPages(router, deps);
  registerRecordPages(router, deps);
  if (deps.rulesConsole) {
    const rules = { ...deps, rulesConsole: deps.rulesConsole, knownQueries: deps.knownQueries ?? (() => []) };
    registerRulePages(router, rules);
    registerSimulatorPages(router, rules);
    registerEnrichmentPages(router, rules);
  }
  return router;
}
