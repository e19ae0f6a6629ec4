// Builds the Positron service from the providers plugins registered, each bound to its plugin's context.
import type { Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import { ConfigError } from '../app/errors.js';
import type { RouteTable } from '../plugins/routes.js';
import type { AccessControl, PluginContext } from '../plugins/types.js';
import type { Provider } from './fanout.js';
import type { PositronConfig } from './config.js';
import { STANDARD_QUERIES } from './query-types.js';
import { Positron } from './service.js';

export function providersFrom(routes: RouteTable, contexts: Map<string, PluginContext<unknown>>): Provider[] {
  return [...routes.providers].map(([id, { namespace, def }]) => ({
    id,
    query: def.type.name,
    priority: def.priority ?? 1,
    timeoutMs: def.timeoutMs,
    answer: (input, signal) => def.answer(input, { signal, ctx: contexts.get(namespace)! }),
  }));
}

export function buildPositron(deps: {
  routes: RouteTable;
  contexts: Map<string, PluginContext<unknown>>;
  config: PositronConfig;
  access: AccessControl;
  db: Db;
  logger: Logger;
}): Positron {
  const unknown = [...Object.keys(deps.config.acl), ...deps.config.sensitive].filter((q) => !STANDARD_QUERIES.some((s) => s.name === q));
  if (unknown.length) {
    throw new ConfigError(unknown.map((q) => `positron: ${q} is not a Positron query (known: ${STANDARD_QUERIES.map((s) => s.name).join(', ')})`));
  }
  return new Positron(STANDARD_QUERIES, providersFrom(deps.routes, deps.contexts), deps.config, deps.access, deps.db, deps.logger.child({ component: 'positron' }));
}
