import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'taser-config-')), 'taser.yaml');
  writeFileSync(path, text);
  return path;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('reads the environment with defaults', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(config.port).toBe(3000);
    expect(config.mongodbUri).toBeUndefined();
    expect(config.slack.botToken).toBe('xoxb-1');
  });

  it('names each bad environment variable without echoing secrets', () => {
    const problems = problemsOf({ SLACK_BOT_TOKEN: 'not-a-token-s3cret', PORT: 'eighty', MONGODB_URI: 'postgres://x' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SLACK_BOT_TOKEN: .*xoxb-/),
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^MONGODB_URI: .*mongodb:\/\//),
      ]),
    );
    expect(problems.join('\n')).not.toContain('s3cret');
  });

  it('reads secrets from *_FILE', () => {
    const secretPath = configFile('xoxb-from-file\n');
    expect(loadConfig({ SLACK_BOT_TOKEN_FILE: secretPath }).slack.botToken).toBe('xoxb-from-file');
    expect(problemsOf({ SLACK_BOT_TOKEN_FILE: '/no/such/file' })[0]).toMatch(/^SLACK_BOT_TOKEN_FILE: cannot read \/no\/such\/file/);
  });

  it('names the field, what was found and what is expected in the config file', () => {
    const path = configFile(
      [
        'channels:',
        '  default: general',
        'groups:',
        '  soc:',
        '    users: [alice]',
        'surprise: 1',
      ].join('\n'),
    );
    const problems = problemsOf({ TASER_CONFIG: path });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/channels\.default: .*channel id.*\(found "general"\)/),
        expect.stringMatching(/groups\.soc\.users\.0: .*user id.*\(found "alice"\)/),
        expect.stringMatching(/surprise/),
      ]),
    );
    for (const line of problems) expect(line.startsWith(path)).toBe(true);
  });

  it('reports unreadable and invalid YAML files', () => {
    expect(problemsOf({ TASER_CONFIG: '/no/such/taser.yaml' })[0]).toMatch(/TASER_CONFIG: cannot read \/no\/such\/taser\.yaml: ENOENT/);
    expect(problemsOf({ TASER_CONFIG: configFile('plugins: [unclosed') })[0]).toMatch(/not valid YAML/);
  });
});

describe('taser.example.yaml', () => {
  it('is a valid configuration file', async () => {
    const { fileURLToPath } = await import('node:url');
    const path = fileURLToPath(new URL('../../taser.example.yaml', import.meta.url));
    const config = loadConfig({ TASER_CONFIG: path });
    expect(config.file.groups.leads?.users).toEqual(['U0123ABC']);
    // Its plugin settings and rules are valid too: the plugins load with them, the rules parse.
    const { loadPlugins } = await import('../plugins/loader.js');
    const { BUILTIN_PLUGINS_DIR } = await import('./paths.js');
    const { parseRules } = await import('../correlation/rule.js');
    const loaded = await loadPlugins({ searchDirs: [BUILTIN_PLUGINS_DIR], settings: config.file.plugins });
    expect(loaded.plugins.map((p) => p.namespace)).toEqual(expect.arrayContaining(['alerts', 'okta', 'duo', 'suricata']));
    expect(parseRules(config.file.rules).map((r) => r.id)).toEqual(['mfa-fatigue-then-new-location', 'ids-burst']);
  });
});
