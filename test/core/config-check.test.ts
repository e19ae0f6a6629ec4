// `taser config check FILE` and `taser plugin new`: what a deployment repository's CI and a team run first.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runTaser } from '../support/cli.js';

// Each case runs the real command in a child process (several for some): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

// Inside the repository, so that generated plugins resolve `taser/plugin` (as under /app in the image).
const scratch = mkdtempSync(join(fileURLToPath(new URL('../fixtures/', import.meta.url)), 'tmp-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('taser config check', () => {
  it('passes the shipped example config', async () => {
    const example = fileURLToPath(new URL('../../taser.example.yaml', import.meta.url));
    const { code, stdout, stderr } = await runTaser(['config', 'check', example], {});
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/config check passed: .*taser\.example\.yaml \(plugins enabled: .*help/);
  });

  it('names every problem on its own line: settings, unknown plugins and sources, groups, rules, paths', async () => {
    const dir = join(scratch, 'bad');
    mkdirSync(dir);
    const file = join(dir, 'taser.yaml');
    writeFileSync(
      file,
      [
        'pluginPaths: [missing-plugins]',
        'plugins:',
        '  help: { adminChannel: general }',
        '  nosuch: { enabled: true }',
        'positron:',
        '  acl: { USER_INFO: [leads] }',
        'sources:',
        '  splunk: { auth: { type: bearer, tokenEnv: SPLUNK_TOKEN } }',
        'http:',
        '  caFiles: [corp-ca.pem]',
        'rules:',
        '  - { id: r1 }',
      ].join('\n'),
    );
    const { code, stderr } = await runTaser(['config', 'check', file], {});
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^pluginPaths: missing-plugins does not exist/));
    expect(lines).toContainEqual(expect.stringMatching(/^http\.caFiles: corp-ca\.pem does not exist/));
    expect(lines).toContainEqual(expect.stringMatching(/^plugins\.help\.adminChannel: .*found "general"/));
    expect(lines).toContainEqual('plugins.nosuch: no plugin with this namespace was found');
    expect(lines.some((l) => l.startsWith('rules') || l.includes('r1'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^config check failed: .*taser\.yaml \(\d+ problem\(s\)\)$/);
  });

  it('reports groups and sources once the plugins load', async () => {
    const file = join(scratch, 'groups.yaml');
    writeFileSync(file, 'positron:\n  acl: { USER_INFO: [leads] }\nsources:\n  splunk: { auth: { type: bearer, tokenEnv: SPLUNK_TOKEN } }\n');
    const { code, stderr } = await runTaser(['config', 'check', file], {});
    expect(code).toBe(1);
    expect(stderr).toContain('groups.leads: used by positron.acl.USER_INFO but not defined in the config file');
    expect(stderr).toMatch(/sources\.splunk: no enabled plugin provides a source named "splunk"/);
  });

  it('loads plugins from pluginPaths and validates their settings', async () => {
    const dir = join(scratch, 'repo');
    mkdirSync(dir);
    expect((await runTaser(['plugin', 'new', 'team-x', '--kind', 'positron', '--dir', join(dir, 'plugins')], {})).code).toBe(0);
    const file = join(dir, 'taser.yaml');
    writeFileSync(file, 'pluginPaths: [plugins]\nplugins:\n  team-x: { enabled: true, hosts: { 10.0.0.1: 7 } }\n');
    const bad = await runTaser(['config', 'check', file], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^plugins\.team-x\.hosts\.10\.0\.0\.1: .*found 7\)$/m);
    writeFileSync(file, 'pluginPaths: [plugins]\nplugins:\n  team-x: { enabled: true, hosts: { 10.0.0.1: db01 } }\n');
    const good = await runTaser(['config', 'check', file], {});
    expect(good.stdout).toMatch(/plugins enabled: .*team-x/);
    expect(good.code).toBe(0);
  });
});

describe('taser plugin new', () => {
  it('refuses a bad name, an unknown kind and an existing folder', async () => {
    const dir = join(scratch, 'new');
    const badName = await runTaser(['plugin', 'new', 'Team_X', '--kind', 'command', '--dir', dir], {});
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/plugin name "Team_X": lower-case letters/);
    const badKind = await runTaser(['plugin', 'new', 'x', '--kind', 'webhook', '--dir', dir], {});
    expect(badKind.stderr).toMatch(/--kind "webhook": one of command, source, positron, job/);
    expect((await runTaser(['plugin', 'new', 'x', '--kind', 'job', '--dir', dir], {})).code).toBe(0);
    const twice = await runTaser(['plugin', 'new', 'x', '--kind', 'job', '--dir', dir], {});
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already exists/);
  });

  it.each(['command', 'source', 'positron', 'job'])('writes a %s plugin that passes plugin check', async (kind) => {
    const dir = join(scratch, 'kinds');
    expect((await runTaser(['plugin', 'new', `k-${kind}`, '--kind', kind, '--dir', dir], {})).code).toBe(0);
    const { code, stdout, stderr } = await runTaser(['plugin', 'check', join(dir, `k-${kind}`)], {});
    expect(stderr).toBe('');
    expect(stdout).toMatch(/plugin check passed/);
    expect(code).toBe(0);
  });
});

describe('the plugins taser plugin new writes', () => {
  it('type-check against taser/plugin, as a team\'s editor sees them', async () => {
    const dir = join(scratch, 'typed');
    for (const kind of ['command', 'source', 'positron', 'job']) expect((await runTaser(['plugin', 'new', `t-${kind}`, '--kind', kind, '--dir', dir], {})).code).toBe(0);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../../../tsconfig.json', include: ['**/*.ts'] }));
    const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }));
    });
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 300_000);
});

describe('taser plugin check --help', () => {
  it('says that it runs the plugin\'s code, and where to run it', async () => {
    const { stdout } = await runTaser(['plugin', 'check', '--help'], {});
    expect(stdout.replace(/\s+/g, ' ')).toMatch(/IMPORTS AND RUNS the plugin's code .* in CI .* not on a workstation/);
  });
});
