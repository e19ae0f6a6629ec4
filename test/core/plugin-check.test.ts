// `taser plugin check` on the shipped plugins and on a broken copy; manifests declare every slash command.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTaser } from '../support/cli.js';
import { findPluginFolders, importPlugin, loadPlugins } from '../../src/plugins/loader.js';
import { manifestSlashCommands } from '../../src/app/manifests.js';
import { BUILTIN_PLUGINS_DIR, MANIFESTS_DIR } from '../../src/app/paths.js';

const scratch = mkdtempSync(join(fileURLToPath(new URL('../fixtures/', import.meta.url)), 'tmp-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('taser plugin check', () => {
  it.each(findPluginFolders(BUILTIN_PLUGINS_DIR).map((f) => [f.split('/').pop()!, f]))('passes for the shipped plugin %s', async (_name, folder) => {
    const { code, stdout, stderr } = await runTaser(['plugin', 'check', folder], {});
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/plugin check passed/);
  });

  it('says in its --help that it runs the plugin\'s code', async () => {
    const { code, stdout } = await runTaser(['plugin', 'check', '--help'], {});
    expect(code).toBe(0);
    expect(stdout.replace(/\s+/g, ' ')).toMatch(/RUNS the plugin's code[\s\S]*untrusted/);
  });

  it('fails with every reason for a broken copy of the help plugin', async () => {
    const copy = join(scratch, 'help');
    cpSync(join(BUILTIN_PLUGINS_DIR, 'help'), copy, { recursive: true });
    const index = join(copy, 'index.ts');
    writeFileSync(
      index,
      readFileSync(index, 'utf8')
        .replaceAll("'../../src/", "'../../../../src/")
        .replace("command: '/taser'", "command: '/nosuch'"),
    );
    writeFileSync(join(copy, 'templates', 'list.hbs'), '{ "text": {{text missing.value}} "blocks": [] }');
    unlinkSync(join(copy, 'templates', 'question.example.json'));

    const { code, stderr } = await runTaser(['plugin', 'check', copy], {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/FAIL templates\/list\.hbs: .*"help:list"/);
    expect(stderr).toMatch(/FAIL templates\/question\.hbs: no question\.example\.json/);
    expect(stderr).toMatch(/FAIL command \/nosuch: not declared in manifests\/http-mode\.yaml/);
    expect(stderr).toMatch(/FAIL command \/nosuch: not declared in manifests\/socket-mode\.yaml/);
  });

  it('fails for a folder that is not a plugin, and for an invalid config', async () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const notPlugin = await runTaser(['plugin', 'check', empty], {});
    expect(notPlugin.code).toBe(1);
    expect(notPlugin.stderr).toMatch(/no index\.ts or index\.js/);

    const configFile = join(scratch, 'bad.yaml');
    writeFileSync(configFile, 'adminChannel: general\n');
    const badConfig = await runTaser(['plugin', 'check', join(BUILTIN_PLUGINS_DIR, 'help'), '--config', configFile], {});
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/plugins\.help\.adminChannel: .*found "general"/);
  });
});

describe('manifests', () => {
  it('declare every slash command a shipped plugin registers, in both modes', async () => {
    const settings: Record<string, Record<string, unknown>> = {};
    for (const folder of findPluginFolders(BUILTIN_PLUGINS_DIR)) {
      const def = await importPlugin(folder);
      settings[def.namespace] = { ...(def.exampleConfig ?? {}), enabled: true };
    }
    const { routes } = await loadPlugins({ searchDirs: [BUILTIN_PLUGINS_DIR], settings, enableAll: true });
    const manifests = manifestSlashCommands(MANIFESTS_DIR);
    expect(Object.keys(manifests).sort()).toEqual(['http-mode.yaml', 'socket-mode.yaml']);
    expect(routes.commands.length).toBeGreaterThan(0);
    for (const [file, commands] of Object.entries(manifests)) {
      for (const { def } of routes.commands) expect(commands.has(def.command), `${def.command} in ${file}`).toBe(true);
    }
  });
});
