// The route table: everything every plugin registered, namespaced. Built once at load; refuses duplicates.
import { z } from 'zod';
import type {
  ActionDefinition, ActionRef, CommandDefinition, EventDefinition, JobDefinition, JobRef, PluginContext, PluginRegistrar,
  QueryProviderDefinition, SourceDefinition, ViewDefinition, ViewRef, CaseBackendDefinition, PagerDefinition,
} from './types.js';

export const ACTION_VALUE_LIMIT = 2000; // Block Kit button value
export const METADATA_LIMIT = 3000; // private_metadata
export const ID_LIMIT = 255; // action_id, callback_id

export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError';
}

/** A route remembers its plugin so errors and metrics can name it. */
export interface Owned<T> {
  namespace: string;
  folder: string;
  def: T;
}

export interface RouteTable {
  commands: Owned<CommandDefinition<unknown>>[];
  actions: Map<string, Owned<ActionDefinition<unknown, unknown>>>;
  views: Map<string, Owned<ViewDefinition<unknown, unknown>>>;
  events: Owned<EventDefinition<unknown>>[];
  jobs: Map<string, Owned<JobDefinition<unknown, unknown>>>;
  sources: Map<string, Owned<SourceDefinition<unknown>>>;
  /** Positron providers by provider id (`namespace:name`). */
  providers: Map<string, Owned<QueryProviderDefinition<unknown, unknown, unknown>>>;
  templateDirs: Owned<string>[];
  /** Case backends (at most one may be enabled; the cases service refuses two at start). */
  caseBackends: Owned<CaseBackendDefinition<unknown>>[];
  /** Pagers for confirmation flows (at most one). */
  pagers: Owned<PagerDefinition<unknown>>[];
  /** Run once the process is up (contexts, jobs and HTTP ready): subscriptions to core events. */
  starters: Owned<(ctx: PluginContext<unknown>) => Promise<void> | void>[];
}

export function emptyRouteTable(): RouteTable {
  return { commands: [], actions: new Map(), views: new Map(), events: [], jobs: new Map(), sources: new Map(), providers: new Map(), templateDirs: [], caseBackends: [], pagers: [], starters: [] };
}

const ROUTE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

function checkName(namespace: string, kind: string, name: string): void {
  if (!ROUTE_NAME.test(name)) {
    throw new PluginLoadError(
      `plugin "${namespace}": ${kind} name ${JSON.stringify(name)} must be lower-case letters, digits, - and _`,
    );
  }
}

function commandKey(def: { command: string; subcommand?: string }): string {
  return def.subcommand === undefined ? def.command : `${def.command} ${def.subcommand}`;
}

/** Registers one plugin's routes into the table, namespacing ids and refusing anything registered twice. */
export function createRegistrar<C>(table: RouteTable, namespace: string, folder: string, config: C): PluginRegistrar<C> {
  const own = <T>(def: T): Owned<T> => ({ namespace, folder, def });
  const owner = (o: { namespace: string; folder: string }) => `plugin "${o.namespace}" (${o.folder})`;

  return {
    namespace,
    config,
    command(def) {
      if (!/^\/[a-z0-9_-]{1,31}$/.test(def.command)) {
        throw new PluginLoadError(`plugin "${namespace}": slash command ${JSON.stringify(def.command)} must be "/" and 1-31 lower-case letters, digits, - or _`);
      }
      if (def.subcommand !== undefined) checkName(namespace, 'subcommand', def.subcommand);
      const key = commandKey(def);
      const clash = table.commands.find(
        (c) =>
          commandKey(c.def) === key ||
          (c.def.command === def.command && (c.def.subcommand === undefined) !== (def.subcommand === undefined)),
      );
      if (clash) {
        throw new PluginLoadError(
          `command "${key}" is registered twice: by ${owner(clash)} as "${commandKey(clash.def)}" and by ${owner({ namespace, folder })}`,
        );
      }
      table.commands.push(own(def as CommandDefinition<unknown>));
    },
    action<V>(def: ActionDefinition<C, V>): ActionRef<V> {
      checkName(namespace, 'action', def.name);
      const actionId = `${namespace}:${def.name}`;
      const clash = table.actions.get(actionId);
      if (clash) throw new PluginLoadError(`action "${actionId}" is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}`);
      table.actions.set(actionId, own(def as ActionDefinition<unknown, unknown>));
      return {
        actionId,
        withSuffix: (suffix) => limitId(`${actionId}:${suffix}`, 'action_id'),
        encode(value) {
          const encoded = def.value ? JSON.stringify(def.value.parse(value)) : String(value);
          if (encoded.length > ACTION_VALUE_LIMIT) {
            throw new Error(`action "${actionId}": value is ${encoded.length} characters, Slack allows ${ACTION_VALUE_LIMIT}`);
          }
          return encoded;
        },
      };
    },
    view<M>(def: ViewDefinition<C, M>): ViewRef<M> {
      checkName(namespace, 'view', def.name);
      const callbackId = `${namespace}:${def.name}`;
      const clash = table.views.get(callbackId);
      if (clash) throw new PluginLoadError(`view "${callbackId}" is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}`);
      table.views.set(callbackId, own(def as ViewDefinition<unknown, unknown>));
      return {
        callbackId,
        encode(metadata) {
          const encoded = def.metadata ? JSON.stringify(def.metadata.parse(metadata)) : '';
          if (encoded.length > METADATA_LIMIT) {
            throw new Error(`view "${callbackId}": private_metadata is ${encoded.length} characters, Slack allows ${METADATA_LIMIT}`);
          }
          return encoded;
        },
      };
    },
    event(def) {
      if (!/^[a-z_]+$/.test(def.event)) throw new PluginLoadError(`plugin "${namespace}": event type ${JSON.stringify(def.event)} is not a Slack event type`);
      table.events.push(own(def as EventDefinition<unknown>));
    },
    job<D>(def: JobDefinition<C, D>): JobRef<D> {
      checkName(namespace, 'job', def.name);
      const name = `${namespace}.${def.name}`;
      const clash = table.jobs.get(name);
      if (clash) throw new PluginLoadError(`job "${name}" is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}`);
      table.jobs.set(name, own(def as JobDefinition<unknown, unknown>));
      return { name };
    },
    query(def) {
      const name = def.name ?? namespace;
      checkName(namespace, 'provider', name);
      const id = `${namespace}:${name}`;
      const clash = table.providers.get(id);
      if (clash) throw new PluginLoadError(`Positron provider "${id}" is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}`);
      table.providers.set(id, own(def as QueryProviderDefinition<unknown, unknown, unknown>));
    },
    source(def) {
      checkName(namespace, 'source', def.name);
      const clash = table.sources.get(def.name);
      if (clash) throw new PluginLoadError(`source "${def.name}" is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}`);
      table.sources.set(def.name, own(def as SourceDefinition<unknown>));
    },
    templates(dir) {
      table.templateDirs.push(own(dir));
    },
    caseBackend(def) {
      const clash = table.caseBackends[0];
      if (clash) throw new PluginLoadError(`a case backend is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}; enable only one`);
      table.caseBackends.push(own(def as CaseBackendDefinition<unknown>));
    },
    pager(def) {
      const clash = table.pagers[0];
      if (clash) throw new PluginLoadError(`a pager is registered twice: by ${owner(clash)} and by ${owner({ namespace, folder })}; enable only one`);
      table.pagers.push(own(def as PagerDefinition<unknown>));
    },
    onStart(handler) {
      table.starters.push(own(handler as (ctx: PluginContext<unknown>) => Promise<void> | void));
    },
  };
}

function limitId(id: string, what: string): string {
  if (id.length > ID_LIMIT) throw new Error(`${what} ${JSON.stringify(id.slice(0, 40))}... is over ${ID_LIMIT} characters`);
  return id;
}

/** Parses an action's value from a button: JSON validated by the schema, or the raw string. */
export function decodeActionValue<V>(def: ActionDefinition<unknown, V>, raw: string | undefined): V {
  if (!def.value) return (raw ?? '') as V;
  let data: unknown;
  try {
    data = JSON.parse(raw ?? '');
  } catch {
    throw new InvalidPayloadError('the button value is not JSON');
  }
  const parsed = def.value.safeParse(data);
  if (!parsed.success) throw new InvalidPayloadError(z.prettifyError(parsed.error));
  return parsed.data;
}

/** A payload from Slack that does not match what this app put there: stale message or tampering. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}
