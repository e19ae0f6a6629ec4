// Every configuration problem in one start: missing Slack settings, secrets the config names but the
// environment lacks, keys too short, unknown groups, bad plugin settings, bad rules; and a value YAML read as
// null because of an unquoted # is named as such.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { fileConfigSchema, hashComments, loadConfigFile, type AppConfig } from '../../src/app/config.js';
import { ConfigError } from '../../src/app/errors.js';
import { startTaser } from '../../src/app/runtime.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

describe('configuration problems', () => {
  it('are all reported by one start, before any I/O', async () => {
    const config: AppConfig = {
      slack: { botToken: 'xoxb-1' }, // HTTP mode without a signing secret
      mongodbUri: 'mongodb://127.0.0.1:1/never?serverSelectionTimeoutMS=200',
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      dataDir: '/nonexistent',
      configDir: process.cwd(),
      env: { SHORT_KEY: 'short' },
      file: fileConfigSchema.parse({
        plugins: { help: { adminChannel: 'general' } },
        apiKeys: { ci: { keyEnv: 'SHORT_KEY', groups: ['soc'] }, siem: { keyEnv: 'MISSING_KEY' } },
        rules: [{ id: 'r', parts: [] }],
      }),
    };
    const err = await startTaser({ config, mode: 'http', logger: pino({ level: 'silent' }), pluginDirs: [BUILTIN_PLUGINS_DIR] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/SLACK_SIGNING_SECRET: missing/);
    expect(problems).toMatch(/plugins\.help\.adminChannel: .*found "general"/);
    expect(problems).toMatch(/groups\.soc: used by apiKeys\.ci but not defined/);
    expect(problems).toMatch(/apiKeys\.ci: the key in SHORT_KEY is shorter than 16 characters/);
    expect(problems).toMatch(/apiKeys\.siem: the environment variable MISSING_KEY \(or MISSING_KEY_FILE\) is not set/);
    expect(problems).toMatch(/rule "r": parts: needs at least one part/);
  });

  it('names a value that is empty because of an unquoted #', () => {
    expect(hashComments('channels:\n  default: #alerts\n  teams: # by team\n    soc: C0SOC0001\n')).toEqual([
      'channels.default: is empty because the unquoted "#alerts" after it is read as a YAML comment; quote the value: default: "#alerts"',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'taser-hash-'));
    try {
      const file = join(dir, 'taser.yaml');
      writeFileSync(file, 'plugins: # settings\n  help:\n    adminChannel: #taser-admins\n');
      const loaded = loadConfigFile(file);
      expect('problems' in loaded && loaded.problems[0]).toBe(
        `${file}: plugins.help.adminChannel: is empty because the unquoted "#taser-admins" after it is read as a YAML comment; quote the value: adminChannel: "#taser-admins"`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
