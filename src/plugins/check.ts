// `taser plugin check PATH`: validates a plugin folder the way start-up would (definition, namespace, config,
// routes, its Slack declaration), renders its templates with their example data, and lists what it adds to the
// generated Slack app manifest.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadPlugins } from './loader.js';
import { importPlugin } from './loader.js';
import { parse as parseYaml } from 'yaml';
import { loadTemplates } from '../blocks/templates.js';
import { ConfigError } from '../app/errors.js';
import { messageSchemaProblems, viewSchemaProblems } from '../blocks/schema.js';

export interface CheckResult {
  ok: boolean;
  problems: string[];
  summary: string[];
}

export async function checkPlugin(folder: string, options: { settings?: Record<string, unknown>; coreBlocksDir: string }): Promise<CheckResult> {
  const path = resolve(folder);
  const problems: string[] = [];
  const summary: string[] = [];
  let namespace: string;
  let settings = options.settings;
  try {
    const def = await importPlugin(path);
    namespace = def.namespace;
    settings ??= def.exampleConfig ?? {};
  } catch (err) {
    return { ok: false, problems: [(err as Error).message], summary };
  }

  let loaded;
  try {
    loaded = await loadPlugins({ folders: [path], settings: { [namespace]: { ...settings, enabled: true } }, enableAll: true });
  } catch (err) {
    return { ok: false, problems: (err as Error).message.split('\n'), summary };
  }
  const { routes } = loaded;
  summary.push(
    `plugin "${namespace}": ${routes.commands.length} command(s), ${routes.actions.size} action(s), ${routes.views.size} view(s), ` +
      `${routes.events.length} event listener(s), ${routes.jobs.size} job(s), ${routes.sources.size} source(s), ${routes.providers.size} Positron provider(s)`,
  );

  // Templates render with their example data (`name.example.json` beside `name.hbs`).
  try {
    const templates = loadTemplates(options.coreBlocksDir, loaded);
    for (const { def: dir } of routes.templateDirs) {
      const abs = resolve(path, dir);
      if (!existsSync(abs)) {
        problems.push(`templates: folder ${dir} does not exist`);
        continue;
      }
      for (const file of readdirSync(abs).filter((f) => f.endsWith('.hbs'))) {
        const name = basename(file, '.hbs');
        const examplePath = join(abs, `${name}.example.json`);
        if (!existsSync(examplePath)) {
          problems.push(`templates/${file}: no ${name}.example.json to render it with`);
          continue;
        }
        try {
          const data = JSON.parse(readFileSync(examplePath, 'utf8')) as unknown;
          const source = readFileSync(join(abs, file), 'utf8');
          // Rendered, then held against Block Kit's schema: Slack refuses what renders but is not Block Kit.
          const isView = /"type"\s*:\s*"(modal|home)"/.test(source);
          const rendered = isView ? templates.renderView(`${namespace}:${name}`, data) : templates.render(`${namespace}:${name}`, data);
          const invalid = isView ? viewSchemaProblems(rendered) : messageSchemaProblems(rendered);
          if (invalid.length) problems.push(...invalid.map((p) => `templates/${file}: not valid Block Kit: ${p}`));
          else summary.push(`template ${namespace}:${name} renders valid Block Kit`);
        } catch (err) {
          problems.push(`templates/${file}: ${(err as Error).message}`);
        }
      }
    }
  } catch (err) {
    problems.push(`templates: ${(err as Error).message}`);
  }

  // What the plugin adds to the generated Slack app manifest (`taser manifest`), for the reviewer of a pull request.
  const def = loaded.plugins[0]?.definition;
  const scopes = [...(def?.slack?.scopes ?? []), ...(routes.commands.length ? ['commands'] : [])];
  summary.push(
    `manifest: slash commands ${[...new Set(routes.commands.map((c) => c.def.command))].join(', ') || '(none)'}; ` +
      `scopes ${scopes.join(', ') || '(none)'}; events ${(def?.slack?.events ?? []).join(', ') || '(none)'}`,
  );
  return { ok: problems.length === 0, problems, summary };
}

/**
 * The settings `plugin check --config FILE` checks the plugin with: the `plugins.<namespace>` section when FILE is
 * a deployment's whole config file, else FILE's content as the plugin's settings alone.
 */
export async function readPluginSettings(folder: string, file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`--config ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`--config ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigError([`--config ${file}: expected a YAML mapping`]);
  const record = data as Record<string, unknown>;
  if (!('plugins' in record)) return record;
  const { namespace } = await importPlugin(resolve(folder));
  const section = (record.plugins as Record<string, unknown> | null)?.[namespace];
  if (section === undefined) return {};
  if (typeof section !== 'object' || section === null) throw new ConfigError([`--config ${file}: plugins.${namespace} must be a mapping`]);
  const { enabled: _enabled, ...settings } = section as Record<string, unknown>;
  return settings;
}
