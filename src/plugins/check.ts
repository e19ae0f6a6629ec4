// `taser plugin check PATH`: validates a plugin folder the way start-up would (definition, namespace, config,
// routes), renders its templates with their example data, and checks its slash commands against manifests/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadPlugins } from './loader.js';
import { importPlugin } from './loader.js';
import { loadTemplates } from '../blocks/templates.js';
import { manifestSlashCommands } from '../app/manifests.js';

export interface CheckResult {
  ok: boolean;
  problems: string[];
  summary: string[];
}

export async function checkPlugin(folder: string, options: { settings?: Record<string, unknown>; coreBlocksDir: string; manifestsDir: string }): Promise<CheckResult> {
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
          if (/"type"\s*:\s*"modal"/.test(source)) templates.renderView(`${namespace}:${name}`, data);
          else templates.render(`${namespace}:${name}`, data);
          summary.push(`template ${namespace}:${name} renders`);
        } catch (err) {
          problems.push(`templates/${file}: ${(err as Error).message}`);
        }
      }
    }
  } catch (err) {
    problems.push(`templates: ${(err as Error).message}`);
  }

  // Every slash command must be declared in both manifests, or Slack never sends it.
  for (const [mode, commands] of Object.entries(manifestSlashCommands(options.manifestsDir))) {
    for (const { def } of routes.commands) {
      if (!commands.has(def.command)) problems.push(`command ${def.command}: not declared in manifests/${mode}`);
    }
  }
  return { ok: problems.length === 0, problems, summary };
}
