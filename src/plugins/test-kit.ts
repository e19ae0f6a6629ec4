// Loads one plugin folder as the host does, for a plugin's own unit tests (`taser plugin new` writes one):
// the settings are validated, setup runs, and the routes come back with a context. The context has no
// database, Slack or Positron (a unit test does not start taser); pass what a handler needs in `context`.
import { pino } from 'pino';
import { loadPlugins, importPlugin } from './loader.js';
import { createPluginContext } from './context.js';
import type { RouteTable } from './routes.js';
import type { CommandDefinition, JobDefinition, PluginContext, QueryProviderDefinition, SourceDefinition } from './types.js';
import { loadTemplates } from '../blocks/templates.js';
import { BLOCKS_DIR } from '../app/paths.js';

export interface PluginUnderTest {
  namespace: string;
  routes: RouteTable;
  ctx: PluginContext<unknown>;
  /** `/taser <subcommand>` (or the slash command it owns). */
  command(subcommand?: string): CommandDefinition<unknown>;
  source(name: string): SourceDefinition<unknown>;
  /** A Positron provider by its id, `namespace:name`. */
  provider(id: string): QueryProviderDefinition<unknown, unknown, unknown>;
  /** A job by its full name, `namespace.name`. */
  job(name: string): JobDefinition<unknown, unknown>;
}

const unavailable = (what: string) =>
  new Proxy({}, {
    get: (_t, key) => {
      if (key === 'then') return undefined;
      throw new Error(`${what} is not available in a plugin unit test: pass it in loadPluginForUnitTest(folder, settings, { context: { ... } })`);
    },
  });

export async function loadPluginForUnitTest(
  folder: string,
  settings: Record<string, unknown> = {},
  options: { env?: Record<string, string | undefined>; context?: Partial<PluginContext<unknown>> } = {},
): Promise<PluginUnderTest> {
  const def = await importPlugin(folder);
  const loaded = await loadPlugins({ folders: [folder], settings: { [def.namespace]: { ...settings, enabled: true } } });
  const plugin = loaded.plugins[0]!;
  const base = createPluginContext(def.namespace, plugin.config, {
    db: unavailable('the database (ctx.collection)') as never,
    slack: unavailable('Slack (ctx.slack)') as never,
    scheduler: unavailable('the scheduler') as never,
    access: { isMember: async () => false },
    templates: loadTemplates(BLOCKS_DIR, loaded),
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    routes: loaded.routes,
    env: options.env ?? {},
    positron: unavailable('Positron') as never,
    correlation: unavailable('correlation') as never,
    cases: unavailable('cases (ctx.cases)') as never,
    confirmations: unavailable('confirmation flows (ctx.confirmations)') as never,
    channels: { teams: {} },
  });
  const ctx = { ...base, ...options.context };
  const found = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`plugin "${def.namespace}" registers no ${what}`);
    return value;
  };
  const { routes } = loaded;
  return {
    namespace: def.namespace,
    routes,
    ctx,
    command: (sub) => found(routes.commands.find((c) => c.def.subcommand === sub)?.def, `command ${sub ?? ''}`),
    source: (name) => found(routes.sources.get(name)?.def, `source ${name}`),
    provider: (id) => found(routes.providers.get(id)?.def, `Positron provider ${id}`),
    job: (name) => found(routes.jobs.get(name)?.def, `job ${name}`),
  };
}
