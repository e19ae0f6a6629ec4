// Builds the context each plugin's handlers receive: its own logger, collections, config, and the core services.
import type { Db, Document } from 'mongodb';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../app/logger.js';
import { readSecret, type Env } from '../app/secrets.js';
import { pluginCollectionName } from '../store/collections.js';
import type { AccessControl, CasesApi, ConfirmationsApi, CommandInfo, HttpClient, PluginContext, PositronApi, Renderer, Scheduler } from './types.js';
import { defaultHttpClient, type CoreHttpClient } from '../http/client.js';
import type { RouteTable } from './routes.js';
import type { Correlation } from '../correlation/service.js';

export interface CoreServices {
  db: Db;
  slack: WebClient;
  scheduler: Scheduler;
  access: AccessControl;
  templates: Renderer;
  logger: Logger;
  routes: RouteTable;
  env: Env;
  positron: PositronApi;
  correlation: Correlation;
  cases: CasesApi;
  confirmations: ConfirmationsApi;
  channels: PluginContext<unknown>['channels'];
  /** The app's Prometheus registry, when there is one. */
  metrics?: import('prom-client').Registry;
  /** The app's outbound HTTP client; absent: a process-wide default (no metrics on /metrics). */
  http?: CoreHttpClient;
}

export function commandCatalog(routes: RouteTable): CommandInfo[] {
  return routes.commands.map(({ namespace, def }) => ({
    namespace,
    command: def.command,
    subcommand: def.subcommand,
    usage: def.usage,
    description: def.description,
    groups: def.groups,
  }));
}

export function createPluginContext<C>(namespace: string, config: C, core: CoreServices): PluginContext<C> {
  const catalog = commandCatalog(core.routes);
  return {
    namespace,
    config,
    logger: core.logger.child({ plugin: namespace }),
    slack: core.slack,
    collection: <T extends Document = Document>(name: string) => core.db.collection<T>(pluginCollectionName(namespace, name)),
    scheduler: core.scheduler,
    access: core.access,
    templates: core.templates,
    commands: () => catalog,
    secret: (name) => readSecret(core.env, name),
    positron: core.positron,
    correlation: core.correlation,
    cases: core.cases,
    confirmations: core.confirmations,
    channels: core.channels,
    http: (core.http ?? defaultHttpClient()).forPlugin(namespace) satisfies HttpClient,
    ...(core.metrics ? { metrics: core.metrics } : {}),
  };
}
