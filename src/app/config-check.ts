// `taser config check FILE`: everything start-up checks without a database, Slack or secrets: the file's
// schema, every plugin it enables (built-in and from pluginPaths) with its settings and routes, the ACL
// groups they name, the sources, the rules and the CA files. One line per problem.
import { casesGroupUses } from '../cases/config.js';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfigFile, type FileConfig } from './config.js';
import { loadPlugins, type LoadedPlugins } from '../plugins/loader.js';
import { PluginLoadError } from '../plugins/routes.js';
import { parseRules, RuleError } from '../correlation/rule.js';

/** ACL groups used by commands, Positron, API keys or correlation but not defined under `groups`. */
/** Groups used (by plugin commands when the plugins loaded, and by the config itself) but not defined. */
export function undefinedGroups(file: FileConfig, plugins: LoadedPlugins | undefined): string[] {
  const uses = [
    ...(plugins?.routes.commands ?? []).flatMap((c) => (c.def.groups ?? []).map((g) => ({ g, by: `${c.def.usage} (plugin "${c.namespace}")` }))),
    ...Object.entries(file.positron.acl).flatMap(([q, groups]) => groups.map((g) => ({ g, by: `positron.acl.${q}` }))),
    ...Object.entries(file.apiKeys).flatMap(([k, { groups }]) => groups.map((g) => ({ g, by: `apiKeys.${k}` }))),
    ...file.correlation.admins.map((g) => ({ g, by: 'correlation.admins' })),
    ...casesGroupUses(file.cases),
  ];
  return uses.filter(({ g }) => !(g in file.groups)).map(({ g, by }) => `groups.${g}: used by ${by} but not defined in the config file`);
}

export async function checkConfigFile(path: string, builtinPluginsDir: string): Promise<{ problems: string[]; plugins: string[] }> {
  const loaded = loadConfigFile(path);
  if ('problems' in loaded) return { problems: loaded.problems, plugins: [] };
  const file = loaded.config;
  const dir = dirname(resolve(path));
  const problems: string[] = [];
  const pluginDirs = file.pluginPaths.map((p) => resolve(dir, p));
  file.pluginPaths.forEach((p, i) => {
    if (!existsSync(pluginDirs[i]!)) problems.push(`pluginPaths: ${p} does not exist (relative to ${dir})`);
  });
  for (const ca of file.http.caFiles) {
    if (!existsSync(resolve(dir, ca))) problems.push(`http.caFiles: ${ca} does not exist (relative to ${dir})`);
  }
  let plugins: LoadedPlugins | undefined;
  try {
    plugins = await loadPlugins({ searchDirs: [builtinPluginsDir, ...pluginDirs], settings: file.plugins });
  } catch (err) {
    if (!(err instanceof PluginLoadError)) throw err;
    problems.push(...err.message.split('\n'));
  }
  if (plugins) {
    problems.push(...undefinedGroups(file, plugins));
    const known = [...plugins.routes.sources.keys()];
    for (const name of Object.keys(file.sources)) {
      if (!plugins.routes.sources.has(name)) problems.push(`sources.${name}: no enabled plugin provides a source named "${name}" (known: ${known.join(', ') || 'none'})`);
    }
  }
  try {
    parseRules(file.rules);
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    problems.push(...err.problems);
  }
  return { problems, plugins: plugins?.plugins.map((p) => p.namespace) ?? [] };
}
