// Starts and stops a whole taser process: configuration, plugins, MongoDB, Slack, jobs, HTTP. The CLI's
// `taser start` and the integration tests both go through startTaser, so tests run the real wiring.
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { buildCore } from './core.js';
import { HttpServer, sendJson } from './http-server.js';
import { BUILTIN_PLUGINS_DIR, taserVersion } from './paths.js';
import { ApiRouter } from './api/route.js';
import { mountApiDocs } from './api/serve.js';
import { createSlackApp, slackProblems, type SlackApp, type SlackMode } from './slack-app.js';
import { verifyBotToken } from './slack-reach.js';
import { registerSlackRoutes } from './slack-routes.js';
import { guardSlackEndpoint } from './slack-edge.js';
import { UnauthenticatedBodyGate } from './body-gate.js';
import type { Database } from '../store/mongo.js';
import { openDatabase } from '../store/open.js';
import { DatabaseHealth } from '../store/health.js';
import { scheduleRetention } from '../store/retention.js';
import { ensureIndexes } from '../store/collections.js';
import type { JobRunner } from '../jobs/scheduler.js';
import { loadPlugins, type LoadedPlugins } from '../plugins/loader.js';
import { PluginLoadError } from '../plugins/routes.js';
import type { PluginContext } from '../plugins/types.js';
import type { Positron } from '../positron/service.js';
import { mountPositronRoutes } from '../positron/http-routes.js';
import { resolveApiKeys } from './api-keys.js';
import { mountSignalRoutes, resolveSourceAuth } from '../signals/http-routes.js';
import { Pollers } from '../signals/pollers.js';
import { parseRules, RuleError } from '../correlation/rule.js';
import { mountCorrelationRoutes } from '../correlation/http-routes.js';
import type { Correlation } from '../correlation/service.js';
import { undefinedGroups } from './config-check.js';
import { mountCaseRoutes } from '../cases/http-routes.js';
import { mountCaseExportRoutes } from '../cases/export-routes.js';
import { mountCaseChannelRoutes } from '../cases/channels/http-routes.js';
import type { Cases } from '../cases/wire.js';
import type { Confirmations } from '../confirmations/wire.js';
import { mountConfirmationRoutes } from '../confirmations/http-routes.js';
import { RulesConsole } from '../rules-console/service.js';
import { mountRulesConsoleRoutes } from '../rules-console/routes.js';
import { resolveConsoleSettings } from '../console/config.js';
import { mountConsole } from '../console/mount.js';

export interface StartOptions {
  config: AppConfig;
  mode: SlackMode;
  logger?: Logger;
  /** Folders holding plugin folders; default: the built-in plugins/ plus the config's pluginPaths. */
  pluginDirs?: string[];
  /** How often the scheduler polls for due jobs. */
  processEveryMs?: number;
  /** Retries of the start-up auth.test when Slack cannot be reached (tests shorten them). */
  slackVerify?: { attempts?: number; firstDelayMs?: number };
}

export interface Taser {
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:3000 */
  url: string;
  address: AddressInfo;
  database: Database;
  slack: SlackApp;
  plugins: LoadedPlugins;
  jobs: JobRunner;
  http: HttpServer;
  /** The documented /api/v1 routes (the OpenAPI document is made from them). */
  api: ApiRouter;
  metrics: Metrics;
  logger: Logger;
  contexts: Map<string, PluginContext<unknown>>;
  positron: Positron;
  correlation: Correlation;
  cases: Cases;
  confirmations: Confirmations;
  /** The rules console: field pickers, rule and enrichment saves, simulations (src/rules-console). */
  rulesConsole: RulesConsole;
  /** Stops receiving, drains jobs, closes MongoDB (and the embedded database). Safe to call twice. */
  stop(): Promise<void>;
}

const DRAIN_MS = 20_000;
const MAX_UNAUTHENTICATED_BODIES = 512;

export async function startTaser(options: StartOptions): Promise<Taser> {
  const { config, mode } = options;
  const logger = options.logger ?? createLogger(config.logLevel);

  // 1. Everything that can be checked without I/O: Slack settings, plugins and their config, groups, secrets
  // named by the config, rules. Every problem is collected, so one start names them all.
  const problems: string[] = [...slackProblems(config, mode)];
  const collect = async <T>(step: () => T | Promise<T>): Promise<T | undefined> => {
    try {
      return await step();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else if (err instanceof PluginLoadError) problems.push(...err.message.split('\n'));
      else if (err instanceof RuleError) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  };
  const pluginDirs = options.pluginDirs ?? [BUILTIN_PLUGINS_DIR, ...config.file.pluginPaths.map((p) => resolve(config.configDir, p))];
  const plugins = await collect(() => loadPlugins({ searchDirs: pluginDirs, settings: config.file.plugins }));
  problems.push(...undefinedGroups(config.file, plugins));
  const apiKeys = await collect(() => resolveApiKeys(config.file.apiKeys, config.env));
  const sourceAuth = plugins ? await collect(() => resolveSourceAuth(plugins.routes, config.file.sources, config.env, logger)) : undefined;
  await collect(() => parseRules(config.file.rules));
  const consoleSettings = await collect(() => resolveConsoleSettings(config.file.console, config.env));
  if (problems.length || !plugins || !apiKeys || !sourceAuth) throw new ConfigError(problems);

  // 2. Slack: check the token (and that Slack can be reached) before the database, which may take minutes to build.
  const identity = await verifyBotToken({ token: config.slack.botToken!, apiUrl: config.slack.apiUrl, logger, ...options.slackVerify });
  logger.info({ botUserId: identity.botUserId, team: identity.teamId, mode }, 'Slack token verified');

  // 3. MongoDB before anything that needs it: embedded when MONGODB_URI is not set.
  const opened = await openDatabase(config, logger);
  const { database } = opened;
  // Undone in reverse order at stop: last started, first stopped.
  const cleanup: (() => Promise<void>)[] = [async () => opened.close()];
  const runCleanup = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch((err: unknown) => logger.warn({ err }, 'shutdown step failed'));
  };

  try {
    await ensureIndexes(database.db);

    const slack = createSlackApp(config, mode, logger, identity);

    const metrics = new Metrics();
    const core = buildCore({ config, plugins, db: database.db, slack: slack.app.client, logger, metrics, processEveryMs: options.processEveryMs });
    const { contexts, access, jobs, positron, correlation, cases, confirmations } = core;
    cleanup.push(async () => core.http.close());
    await positron.ensureIndexes();
    await correlation.ensureIndexes();
    await cases.ensureIndexes();
    await confirmations.ensureIndexes();
    const synced = await correlation.rules.syncFromConfig(config.file.rules);
    if (synced.added.length || synced.changed.length || synced.removed.length) logger.info(synced, 'correlation rules updated from the config file');
    const rulesConsole = new RulesConsole(database.db, { correlation, renderer: core.templates, logger, knownQueries: () => positron.queryTypes().map((q) => q.name) });
    await rulesConsole.start(config.file.enrichment);
    cleanup.push(async () => rulesConsole.stop());
    registerSlackRoutes(slack.app, { routes: plugins.routes, contexts, access, db: database.db, logger, metrics });

    // 4. HTTP: health, readiness, metrics, and Slack's endpoint in HTTP mode.
    const http = new HttpServer(logger);
    http.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
    // Readiness reads the last background ping: neither /readyz nor /metrics ever waits on the database.
    const health = new DatabaseHealth(database, { onCheck: (state) => metrics.up.set(state.ready && jobs.running ? 1 : 0) });
    await health.start();
    cleanup.push(async () => health.stop());
    http.route('GET', '/readyz', (_req, res) => {
      const state = health.state();
      const scheduler = jobs.running;
      const ready = state.ready && scheduler;
      metrics.up.set(ready ? 1 : 0);
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', mongodb: state.ready, scheduler });
    });
    http.route('GET', '/metrics', async (_req, res) => {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
    });
    // /api/v1: every route through ApiRouter.define, so it is validated and in the OpenAPI document.
    const api = new ApiRouter(http, { keys: apiKeys, logger });
    mountPositronRoutes(api, { positron });
    // Slack and HMAC webhooks sign their bodies, so those are read before the sender is known: at most this many at once.
    const bodyGate = new UnauthenticatedBodyGate(MAX_UNAUTHENTICATED_BODIES);
    mountSignalRoutes(http, { routes: plugins.routes, auth: sourceAuth, ingestor: correlation.ingestor, logger, gate: bodyGate, backPressure: () => correlation.live.retryAfter() });
    mountCorrelationRoutes(api, { correlation, logger });
    mountCaseRoutes(api, { cases });
    mountCaseExportRoutes(api, { cases, logger });
    mountCaseChannelRoutes(api, { channels: cases.channels });
    mountConfirmationRoutes(api, { confirmations, cases });
    mountRulesConsoleRoutes(api, { console: rulesConsole, correlation });
    mountApiDocs(http, api, taserVersion());
    if (consoleSettings) mountConsole(http, { settings: consoleSettings, access, correlation, cases, templates: core.templates, slack: slack.app.client, slackApiUrl: config.slack.apiUrl, logger, rulesConsole, knownQueries: () => positron.queryTypes().map((q) => q.name), api, groupNames: () => Object.keys(config.file.groups) });
    await new Pollers(database.db, { routes: plugins.routes, contexts, ingestor: correlation.ingestor, logger, metrics }).register(jobs);
    await scheduleRetention(database.db, jobs, config.file.retention, logger);
    await cases.start(jobs, correlation.events);
    await confirmations.start(jobs, correlation.events);
    // Live correlation: takes partition leases and steps its partitions until stop (which writes them out).
    correlation.live.start();
    cleanup.push(async () => correlation.live.stop());
    if (slack.requestListener) {
      const slackEndpoint = guardSlackEndpoint(slack.requestListener, {
        logger,
        gate: bodyGate,
        signingSecret: config.slack.signingSecret,
        processEvent: (event) => slack.app.processEvent(event),
      });
      http.route('POST', '/slack/events', slackEndpoint);
      // Commands and clicks acknowledged at the edge reach Bolt before the database closes (run after the HTTP server closes).
      cleanup.push(async () => slackEndpoint.settled());
    }

    for (const { namespace, def: start } of plugins.routes.starters) {
      try {
        await start(contexts.get(namespace)!);
      } catch (err) {
        throw new ConfigError([`plugin "${namespace}": its start hook failed: ${(err as Error).message}`]);
      }
    }
    await jobs.start();
    cleanup.push(async () => jobs.drain(DRAIN_MS));
    const address = await http.listen(config.port, config.host);
    cleanup.push(async () => http.close());
    await slack.start();
    cleanup.push(async () => slack.stop());
    const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
    logger.info({ url, mode, plugins: plugins.plugins.map((p) => p.namespace) }, 'taser is running');

    return {
      url,
      address,
      database,
      slack,
      plugins,
      jobs,
      http,
      api,
      metrics,
      logger,
      contexts,
      positron,
      correlation,
      cases,
      confirmations,
      rulesConsole,
      stop: runCleanup,
    };
  } catch (err) {
    await runCleanup();
    throw err;
  }
}
