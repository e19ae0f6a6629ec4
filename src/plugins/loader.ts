// Loads plugin folders: imports each index, checks the definition, validates its config, runs its setup into
// one route table. Used by `taser start` and by `taser plugin check`, so both refuse the same mistakes.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { formatIssues } from '../app/config.js';
import type { PluginDefinition } from './types.js';
import { slackNeedsProblems } from './slack-needs.js';
import { createRegistrar, emptyRouteTable, PluginLoadError, type RouteTable } from './routes.js';

export interface LoadedPlugin {
  namespace: string;
  description: string;
  folder: string;
  config: unknown;
  definition: PluginDefinition;
}

export interface LoadedPlugins {
  plugins: LoadedPlugin[];
  routes: RouteTable;
  /** Plugins found but not enabled in the configuration. */
  disabled: { namespace: string; folder: string }[];
}

const NAMESPACE = /^[a-z][a-z0-9-]{0,30}$/;

/** The plugin folders directly under a directory (each holding index.ts or index.js). */
export function findPluginFolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory() && pluginEntry(path) !== undefined)
    .sort();
}

function pluginEntry(folder: string): string | undefined {
  for (const name of ['index.ts', 'index.js']) {
    const path = join(folder, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

let typeScriptLoader: Promise<void> | undefined;
/**
 * The image runs compiled JavaScript, but a deployment repository's plugins are TypeScript: when this module is
 * itself compiled (dist/), tsx (a runtime dependency) is registered once, before the first .ts plugin loads.
 */
function loadTypeScript(): Promise<void> {
  typeScriptLoader ??= import('tsx/esm/api').then(({ register }) => void register());
  return typeScriptLoader;
}

/** Imports a plugin folder and checks the shape of its default export. */
export async function importPlugin(folder: string): Promise<PluginDefinition> {
  const entry = pluginEntry(folder);
  if (!entry) throw new PluginLoadError(`${folder}: no index.ts or index.js`);
  let mod: { default?: unknown };
  try {
    if (entry.endsWith('.ts') && import.meta.url.endsWith('.js')) await loadTypeScript();
    mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (err) {
    throw new PluginLoadError(`${folder}: cannot import ${entry}: ${(err as Error).message}`);
  }
  const def = mod.default as Partial<PluginDefinition> | undefined;
  const problems: string[] = [];
  if (!def || typeof def !== 'object') {
    throw new PluginLoadError(`${folder}: index must default-export definePlugin({...})`);
  }
  if (typeof def.namespace !== 'string' || !NAMESPACE.test(def.namespace)) {
    problems.push(`namespace: must be lower-case letters, digits and -, starting with a letter, at most 31 (found ${JSON.stringify(def.namespace)})`);
  }
  if (typeof def.description !== 'string' || def.description.trim() === '') problems.push('description: required');
  if (typeof def.setup !== 'function') problems.push('setup: must be a function');
  if (def.config !== undefined && typeof (def.config as z.ZodType).safeParse !== 'function') problems.push('config: must be a zod schema');
  if (problems.length) throw new PluginLoadError(problems.map((p) => `${folder}: ${p}`).join('\n'));
  return def as PluginDefinition;
}

export interface LoadOptions {
  /** Folders that contain plugin folders (plugins/ and the config's pluginPaths). */
  searchDirs?: string[];
  /** Individual plugin folders. */
  folders?: string[];
  /** `plugins` from the config file, keyed by namespace. */
  settings: Record<string, Record<string, unknown> & { enabled?: boolean }>;
  /** Load every plugin whatever `enabled` says (plugin check). */
  enableAll?: boolean;
}

export async function loadPlugins(options: LoadOptions): Promise<LoadedPlugins> {
  const folders = [...(options.folders ?? []), ...(options.searchDirs ?? []).flatMap(findPluginFolders)].map((f) => resolve(f));
  const routes = emptyRouteTable();
  const plugins: LoadedPlugin[] = [];
  const disabled: LoadedPlugins['disabled'] = [];
  const byNamespace = new Map<string, string>();
  const problems: string[] = [];

  for (const folder of folders) {
    const shown = relative(process.cwd(), folder) || folder;
    let def: PluginDefinition;
    try {
      def = await importPlugin(folder);
    } catch (err) {
      problems.push((err as Error).message);
      continue;
    }
    const other = byNamespace.get(def.namespace);
    if (other) {
      problems.push(`namespace "${def.namespace}" is used by two plugins: ${other} and ${shown}`);
      continue;
    }
    byNamespace.set(def.namespace, shown);

    const settings = options.settings[def.namespace];
    const enabled = options.enableAll || (settings?.enabled ?? def.enabledByDefault ?? false);
    if (!enabled) {
      disabled.push({ namespace: def.namespace, folder: shown });
      continue;
    }
    const { enabled: _ignored, ...raw } = settings ?? {};
    let config: unknown = raw;
    if (def.config) {
      const parsed = def.config.safeParse(raw);
      if (!parsed.success) {
        problems.push(...formatIssues(`plugins.${def.namespace}`, parsed.error, raw));
        continue;
      }
      config = parsed.data;
    }
    try {
      def.setup(createRegistrar(routes, def.namespace, shown, config));
    } catch (err) {
      problems.push(err instanceof PluginLoadError ? err.message : `plugin "${def.namespace}" (${shown}): setup failed: ${(err as Error).message}`);
      continue;
    }
    // Its Slack declaration must match its listeners, or the generated manifest would subscribe to the wrong events.
    const listeners = routes.events.filter((e) => e.namespace === def.namespace).map((e) => e.def.event);
    const slackProblems = slackNeedsProblems(def.namespace, def.slack, listeners);
    if (slackProblems.length) {
      problems.push(...slackProblems);
      continue;
    }
    plugins.push({ namespace: def.namespace, description: def.description, folder, config, definition: def });
  }
  for (const namespace of Object.keys(options.settings)) {
    if (!byNamespace.has(namespace)) problems.push(`plugins.${namespace}: no plugin with this namespace was found`);
  }
  if (problems.length) throw new PluginLoadError(problems.join('\n'));
  return { plugins, routes, disabled };
}
