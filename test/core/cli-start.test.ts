// `taser start` on a fresh machine: clear messages and exit codes, never a stack trace or a hang.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTaser, startTaserProcess } from '../support/cli.js';
import { startSlackFake } from '../support/slack-fake.js';
import { freshDbUri } from '../support/db.js';

describe('taser start', () => {
  it('says exactly which Slack settings are missing', async () => {
    const { code, stderr } = await runTaser(['start'], {});
    expect(code).toBe(78);
    expect(stderr).toContain('SLACK_BOT_TOKEN: missing');
    expect(stderr).toContain('SLACK_APP_TOKEN: missing');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses HTTP mode without a signing secret', async () => {
    const { code, stderr } = await runTaser(['start', '--http'], { SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(code).toBe(78);
    expect(stderr).toContain('SLACK_SIGNING_SECRET: missing');
    expect(stderr).not.toContain('SLACK_APP_TOKEN');
  });

  it('reports an unreachable MongoDB clearly and exits', async () => {
    // Slack is checked first (auth.test): a reachable fake, so the database is what fails.
    const slack = await startSlackFake({ token: 'xoxb-1' });
    try {
      const { code, stderr } = await runTaser(['start', '--http'], {
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.apiUrl,
        MONGODB_URI: 'mongodb://127.0.0.1:1/taser?serverSelectionTimeoutMS=500',
      });
      expect(code).toBe(69);
      expect(stderr).toMatch(/cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\/taser/);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      await slack.stop();
    }
  }, 60_000);

  it('prints usage with --help', async () => {
    const { code, stdout } = await runTaser(['--help'], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: taser/);
    expect(stdout).toMatch(/start/);
    expect(stdout).toMatch(/plugin/);
  });
});

describe('taser start with tokens and no MONGODB_URI', () => {
  it('starts the embedded database, serves, and shuts down cleanly on SIGTERM', async () => {
    const slack = await startSlackFake({ token: 'xoxb-newcomer' });
    const dataDir = mkdtempSync(join(tmpdir(), 'taser-data-'));
    const taser = startTaserProcess(['start', '--http'], {
      SLACK_BOT_TOKEN: 'xoxb-newcomer',
      SLACK_SIGNING_SECRET: 'newcomer-secret',
      SLACK_API_URL: slack.apiUrl,
      TASER_DATA_DIR: dataDir,
      PORT: '0',
    });
    try {
      const running = await taser.waitForLog((l) => l.msg === 'taser is running', 120_000);
      expect(taser.output()).toContain('MONGODB_URI not set: using the embedded database');
      const ready = await fetch(`${String(running.url)}/readyz`);
      expect(ready.status).toBe(200);
      expect(await taser.stop('SIGTERM')).toBe(0);
      expect(taser.output()).toContain('shutting down');
    } finally {
      await taser.stop('SIGKILL');
      await slack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('stops with a clear message when Slack refuses the token', async () => {
    const slack = await startSlackFake({ token: 'xoxb-right' });
    try {
      const { code, stderr } = await runTaser(['start', '--http'], {
        SLACK_BOT_TOKEN: 'xoxb-wrong',
        SLACK_SIGNING_SECRET: 's',
        SLACK_API_URL: slack.apiUrl,
        MONGODB_URI: freshDbUri('cli'),
      });
      expect(code).toBe(78);
      expect(stderr).toContain('SLACK_BOT_TOKEN: Slack refused the token (auth.test: invalid_auth)');
    } finally {
      await slack.stop();
    }
  });
});
