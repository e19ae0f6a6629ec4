// The services every entry point shares (the bot, and CLI commands such as `taser positron`): plugin
// contexts, ACL groups, templates, the job runner with every plugin job defined, and Positron.
import { resolve } from 'node:path';
import type { Db } from 'mongodb';
import type { WebClient } from '@slack/web-api';
import type { AppConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { GroupAccess } from './access.js';
import { guard } from './guard.js';
import { BLOCKS_DIR } from './paths.js';
import { loadTemplates } from '../blocks/templates.js';
import { JobRunner } from '../jobs/scheduler.js';
import { createPluginContext } from '../plugins/context.js';
import type { LoadedPlugins } from '../plugins/loader.js';
import type { PluginContext, PositronApi, Renderer } from '../plugins/types.js';
import { buildPositron } from '../positron/wire.js';
import type { Positron } from '../positron/service.js';
import { buildCorrelation, type Correlation } from '../correlation/service.js';
import { createHttpClient, type CoreHttpClient } from '../http/client.js';
import { buildCases, type Cases } from '../cases/wire.js';
import { buildConfirmations, type Confirmations } from '../confirmations/wire.js';

export interface Core {
  contexts: Map<string, PluginContext<unknown>>;
  access: GroupAccess;
  templates: Renderer;
  jobs: JobRunner;
  positron: Positron;
  correlation: Correlation;
  /** Outbound HTTP for every plugin (ctx.http); close it at stop. */
  http: CoreHttpClient;
  cases: Cases;
  confirmations: Confirmations;
}

export function buildCore(deps: {
  config: AppConfig;
  plugins: LoadedPlugins;
  db: Db;
  slack: WebClient;
  logger: Logger;
  metrics: Metrics;
  processEveryMs?: number;
}): Core {
  const { config, plugins, db, slack, logger, metrics } = deps;
  const access = new GroupAccess(config.file.groups, slack, logger);
  const templates = loadTemplates(BLOCKS_DIR, plugins);
  const jobs = new JobRunner(db, logger, { processEveryMs: deps.processEveryMs });
  const http = createHttpClient({
    ...config.file.http,
    caFiles: config.file.http.caFiles.map((file) => resolve(config.configDir, file)),
    env: config.env,
    logger,
    registry: metrics.registry,
  });

  // Providers need their plugin's context and contexts offer Positron: bind Positron once both exist.
  let positron: Positron | undefined;
  const positronApi: PositronApi = {
    run: (caller, query, request) => positron!.run(caller, query, request),
    allowedQueries: (caller) => positron!.allowedQueries(caller),
    describeQueries: (caller) => positron!.describeQueries(caller),
  };
  const correlation = buildCorrelation({ db, logger, positron: positronApi, enrichment: config.file.enrichment, admins: config.file.correlation.admins, foldConfusables: config.file.correlation.foldConfusables, live: { maxBacklog: config.file.correlation.maxBacklog }, registry: metrics.registry });
  const cases = buildCases({ db, alerts: correlation.alerts, access, config: config.file.cases, logger, registry: metrics.registry, slack, groups: config.file.groups });
  const confirmations = buildConfirmations({ db, cases, correlation, positron: positronApi, config: config.file.confirmations, logger, registry: metrics.registry });
  const contexts = new Map<string, PluginContext<unknown>>();
  for (const plugin of plugins.plugins) {
    contexts.set(
      plugin.namespace,
      createPluginContext(plugin.namespace, plugin.config, {
        db,
        slack,
        scheduler: jobs.port(),
        access,
        templates,
        logger,
        routes: plugins.routes,
        env: config.env,
        positron: positronApi,
        correlation,
        cases: cases.api,
        confirmations: confirmations.api,
        channels: config.file.channels,
        metrics: metrics.registry,
        http,
      }),
    );
  }
  cases.bindPlugins(plugins.routes, contexts);
  confirmations.bindPlugins(plugins.routes, contexts);
  positron = buildPositron({ routes: plugins.routes, contexts, config: config.file.positron, access, db, logger });

  for (const [name, { namespace, def }] of plugins.routes.jobs) {
    jobs.define(
      name,
      async (data, job) => {
        // A job's data was written by this app, but may predate a schema change: validate, and log if stale.
        const parsed = def.data ? def.data.safeParse(data) : { success: true as const, data };
        if (!parsed.success) {
          logger.error({ job: name, issues: parsed.error.issues }, 'job data does not match the job schema; skipping');
          return;
        }
        await guard({ plugin: namespace, kind: 'job', route: name, logger, metrics }, () =>
          def.handler({ data: parsed.data, touch: job.touch }, contexts.get(namespace)!),
        );
      },
      { lockLifetimeMs: def.lockLifetimeMs, concurrency: def.concurrency },
    );
  }
  return { contexts, access, templates, jobs, positron, correlation, http, cases, confirmations };
}
