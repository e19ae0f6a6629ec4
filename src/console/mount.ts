// The web console under /ui on taser's own HTTP server (both Slack modes, same port, same process). Page
// modules register their routes here, one line each.
import { sendJson, type HttpServer } from '../app/http-server.js';
import { Assets } from './assets.js';
import { ConsoleAuth } from './auth.js';
import { SignInError, SlackOidc } from './oidc.js';
import { Views } from './render.js';
import { ConsoleRouter, redirect, safeNext, sendHtml } from './router.js';
import { registerHomePage } from './pages/home.js';
import { registerSearchPages } from './pages/search.js';
import { registerRecordPages } from './pages/records.js';
import { registerRulePages } from './pages/rules.js';
import { registerSimulatorPages } from './pages/simulate.js';
import { registerEnrichmentPages } from './pages/enrichment.js';
import { consoleApiSessions } from './api-session.js';
import type { ConsoleDeps } from './deps.js';


export function mountConsole(http: HttpServer, deps: ConsoleDeps): ConsoleRouter {
  const logger = deps.logger.child({ component: 'console' });
  const assets = new Assets();
  const views = new Views(assets);
  const auth = new ConsoleAuth(deps.settings, { access: deps.access, admins: () => deps.correlation.admins, slack: deps.slack, logger });
  const router = new ConsoleRouter(http, views, auth, logger);
  deps.api?.acceptSessions(consoleApiSessions(auth, { access: deps.access, groupNames: deps.groupNames ?? (() => []), logger }));
  const oidc = deps.settings.oidc ? new SlackOidc(deps.settings, auth, { slackApiUrl: deps.slackApiUrl, logger }) : undefined;

  router.open('GET', '/ui/assets/:name', (req, res, params) => {
    const version = new URL(req.url ?? '/', 'http://localhost').searchParams.get('v');
    if (!assets.serve(params.name!, res, version, req.headers['if-none-match'])) sendJson(res, 404, { error: 'not_found' });
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
