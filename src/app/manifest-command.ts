// `taser manifest`: the Slack app manifest for the plugins a deployment enables (its config file), or for
// every plugin found (--all-plugins, each with its exampleConfig: how manifests/*.yaml are generated).
import { resolve, dirname } from 'node:path';
import { loadConfigFile, type FileConfig } from './config.js';
import { ConfigError } from './errors.js';
import { manifestYaml } from './manifests.js';
import type { SlackMode } from './slack-app.js';
import { BUILTIN_PLUGINS_DIR } from './paths.js';
import { findPluginFolders, importPlugin, loadPlugins } from '../plugins/loader.js';

export interface ManifestOptions {
  mode: SlackMode;
  /** The deployment's config file (default TASER_CONFIG); absent: the plugins enabled by default. */
  config?: string;
  /** HTTP mode: the public base URL that reaches taser. */
  url?: string;
  /** Every plugin found, each with its exampleConfig, whatever the config enables. */
  allPlugins?: boolean;
}

export async function renderManifest(options: ManifestOptions): Promise<string> {
  let file: FileConfig | undefined;
  let configDir = process.cwd();
  if (options.config) {
    const loaded = loadConfigFile(options.config);
    if ('problems' in loaded) throw new ConfigError(loaded.problems);
    file = loaded.config;
    configDir = dirname(resolve(options.config));
  }
  const searchDirs = [BUILTIN_PLUGINS_DIR, ...(file?.pluginPaths ?? []).map((p) => resolve(configDir, p))];
  let settings = file?.plugins ?? {};
  if (options.allPlugins) {
    settings = {};
    for (const folder of searchDirs.flatMap(findPluginFolders)) {
      const def = await importPlugin(folder);
      settings[def.namespace] = { ...(def.exampleConfig ?? {}), ...(file?.plugins[def.namespace] ?? {}), enabled: true };
    }
  }
  const { plugins, routes } = await loadPlugins({ searchDirs, settings });
  const origin = ['taser manifest', `--mode ${options.mode}`, options.allPlugins ? '--all-plugins' : '', options.config ? `--config ${options.config}` : '']
    .filter(Boolean)
    .join(' ');
  const ui = file?.console.enabled ? file.console : undefined;
  const consoleNeeds = ui && { trustedProxy: Boolean(ui.trustedProxy), ...(ui.oidc ? { redirectUrl: `${(ui.baseUrl ?? options.url ?? 'https://taser.example.com').replace(/\/+$/, '')}/ui/auth/callback` } : {}) };
  return manifestYaml({ plugins, routes, mode: options.mode, publicUrl: options.url, groups: file?.groups ?? (options.allPlugins ? undefined : {}), ...(consoleNeeds ? { console: consoleNeeds } : {}) }, origin);
}
