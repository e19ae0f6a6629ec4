// `taser plugin check` on the shipped plugins and on a broken copy.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTaser } from '../support/cli.js';
import { findPluginFolders } from '../../src/plugins/loader.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

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
        .replaceAll("'../../src/", "'../../../../src/"),
    );
    writeFileSync(join(copy, 'templates', 'list.hbs'), '{ "text": {{text missing.value}} "blocks": [] }');
    unlinkSync(join(copy, 'templates', 'question.example.json'));
    const modal = join(copy, 'templates', 'ask-modal.hbs');
    writeFileSync(modal, readFileSync(modal, 'utf8').replace('"plain_text_input"', '"plain_txt_input"'));

    const { code, stderr } = await runTaser(['plugin', 'check', copy], {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/FAIL templates\/list\.hbs: .*"help:list"/);
    expect(stderr).toMatch(/FAIL templates\/question\.hbs: no question\.example\.json/);
    expect(stderr).toMatch(/FAIL templates\/ask-modal\.hbs: not valid Block Kit: blocks\[0\]\.element/);
  });

  it('refuses a Slack declaration that does not match the listeners', async () => {
    const copy = join(scratch, 'help-slack');
    cpSync(join(BUILTIN_PLUGINS_DIR, 'help'), copy, { recursive: true });
    const index = join(copy, 'index.ts');
    writeFileSync(
      index,
      readFileSync(index, 'utf8')
        .replaceAll("'../../src/", "'../../../../src/")
        .replace("slack: { scopes: ['chat:write'] }", "slack: { scopes: ['chat write'], events: ['app_mention'] }"),
    );
    const { code, stderr } = await runTaser(['plugin', 'check', copy], {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/FAIL plugin "help": slack\.scopes: "chat write" is not a Slack scope/);
    expect(stderr).toMatch(/FAIL plugin "help": slack\.events declares "app_mention" but no plugin\.event\(\{ event: "app_mention" \}\) handles it/);
  });

  it('reads the plugin\'s section of a whole deployment config, and says in one line that a file is missing', async () => {
    const deployment = join(scratch, 'taser.yaml');
    writeFileSync(deployment, 'plugins:\n  help:\n    enabled: true\n    adminChannel: general\ngroups: {}\n');
    const bad = await runTaser(['plugin', 'check', join(BUILTIN_PLUGINS_DIR, 'help'), '--config', deployment], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/plugins\.help\.adminChannel: .*found "general"/);

    writeFileSync(deployment, 'plugins:\n  help:\n    adminChannel: C0ADMIN02\n');
    const good = await runTaser(['plugin', 'check', join(BUILTIN_PLUGINS_DIR, 'help'), '--config', deployment], {});
    expect(good.code).toBe(0);

    const missing = await runTaser(['plugin', 'check', join(BUILTIN_PLUGINS_DIR, 'help'), '--config', join(scratch, 'nope.yaml')], {});
    expect(missing.code).toBe(78);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^taser: --config .*nope\.yaml: cannot read it \(ENOENT\)$/)]);
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
