// Loads one plugin folder the way the host does and gives its handlers a context, for plugin tests that do
// not need Slack (Positron providers, source mappers, jobs). Pass a database when the plugin stores things.
import { pino } from 'pino';
import type { Db } from 'mongodb';
import { WebClient } from '@slack/web-api';
import { loadPlugins } from '../../src/plugins/loader.js';
import { createPluginContext } from '../../src/plugins/context.js';
import type { PluginContext, Scheduler } from '../../src/plugins/types.js';
import type { RouteTable } from '../../src/plugins/routes.js';
import { loadTemplates } from '../../src/blocks/templates.js';
import { BLOCKS_DIR } from '../../src/app/paths.js';
import { buildCorrelation, type Correlation } from '../../src/correlation/service.js';
import { buildCases } from '../../src/cases/wire.js';
import { casesConfigSchema } from '../../src/cases/config.js';
import type { CasesApi } from '../../src/plugins/types.js';

const noScheduler: Scheduler = {
  now: async () => {
    throw new Error('no scheduler in this test harness');
  },
  schedule: async () => {
    throw new Error('no scheduler in this test harness');
  },
  every: async () => {
    throw new Error('no scheduler in this test harness');
  },
  cancel: async () => 0,
};

export interface LoadedTestPlugin {
  namespace: string;
  routes: RouteTable;
  ctx: PluginContext<unknown>;
}

export async function loadPluginForTest(
  folder: string,
  settings: Record<string, unknown>,
  options: { db?: Db; slack?: WebClient; env?: Record<string, string>; channels?: { default?: string; admin?: string; teams: Record<string, string> } } = {},
): Promise<LoadedTestPlugin> {
  const { importPlugin } = await import('../../src/plugins/loader.js');
  const def = await importPlugin(folder);
  const loaded = await loadPlugins({ folders: [folder], settings: { [def.namespace]: { ...settings, enabled: true } } });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const positron = {
    run: async () => {
      throw new Error('no Positron in this test harness');
    },
    allowedQueries: async () => [],
    describeQueries: async () => [],
  };
  const correlation = options.db
    ? buildCorrelation({ db: options.db, logger, positron, enrichment: [] })
    : (new Proxy({}, { get: () => { throw new Error('this test gave the plugin no database'); } }) as Correlation);
  const noAccess = { isMember: async () => false };
  const cases = options.db
    ? buildCases({ db: options.db, alerts: correlation.alerts, access: noAccess, config: casesConfigSchema.parse(undefined), logger }).api
    : (new Proxy({}, { get: () => { throw new Error('this test gave the plugin no database'); } }) as CasesApi);
  const ctx = createPluginContext(def.namespace, loaded.plugins[0]!.config, {
    db: options.db ?? (new Proxy({}, { get: () => { throw new Error('this test gave the plugin no database'); } }) as Db),
    slack: options.slack ?? new WebClient('xoxb-unused', { slackApiUrl: 'http://127.0.0.1:9/api/', retryConfig: { retries: 0 } }),
    scheduler: noScheduler,
    access: noAccess,
    templates: loadTemplates(BLOCKS_DIR, loaded),
    logger,
    routes: loaded.routes,
    env: options.env ?? {},
    positron,
    correlation,
    cases,
    confirmations: new Proxy({}, { get: (_t, key) => { if (key === 'askAction') return undefined; throw new Error('the plugin harness has no confirmation flows'); } }) as never,
    channels: options.channels ?? { teams: {} },
  });
  return { namespace: def.namespace, routes: loaded.routes, ctx };
}
