// Start-up against a Slack that cannot be reached: bounded retries, then one line with the URL, the cause and
// what was being done; a refused token is not retried.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { verifyBotToken, SlackUnreachableError } from '../../src/app/slack-reach.js';
import { ConfigError } from '../../src/app/errors.js';
import { startSlackFake } from '../support/slack-fake.js';
import { runTaser } from '../support/cli.js';

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

describe('verifyBotToken', () => {
  it('retries a refused connection a bounded number of times, then names the URL, the cause and auth.test', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/`;
    const { lines, logger } = memoryLogger();
    const err = await verifyBotToken({ token: 'xoxb-1', apiUrl: url, logger, attempts: 3, firstDelayMs: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackUnreachableError);
    expect((err as Error).message).toContain(`cannot reach Slack at ${url} (connection refused (ECONNREFUSED)`);
    expect((err as Error).message).toContain('while checking the bot token (auth.test); gave up after 3 attempts');
    expect(lines.map((l) => l.attempt)).toEqual([1, 2]);
  });

  it('says DNS when the host does not resolve', async () => {
    const { logger } = memoryLogger();
    const err = await verifyBotToken({ token: 'xoxb-1', apiUrl: 'http://slack-api.invalid/api/', logger, attempts: 1 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cannot reach Slack at http:\/\/slack-api\.invalid\/api\/ \(DNS lookup failed \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it('says TLS when the server does not speak it', async () => {
    const plain = createServer((_req, res) => res.end('not tls'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const { logger } = memoryLogger();
      const url = `https://127.0.0.1:${(plain.address() as AddressInfo).port}/api/`;
      const err = await verifyBotToken({ token: 'xoxb-1', apiUrl: url, logger, attempts: 1 }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/\(TLS failed \(EPROTO|ERR_SSL/);
    } finally {
      plain.close();
    }
  });

  it('does not retry a token Slack refuses', async () => {
    const slack = await startSlackFake({ token: 'xoxb-right' });
    try {
      const { logger } = memoryLogger();
      const err = await verifyBotToken({ token: 'xoxb-wrong', apiUrl: slack.apiUrl, logger, attempts: 5, firstDelayMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual(['SLACK_BOT_TOKEN: Slack refused the token (auth.test: invalid_auth); copy the Bot User OAuth Token again']);
      expect(slack.calls.filter((c) => c.method === 'auth.test')).toHaveLength(1);
    } finally {
      await slack.stop();
    }
  });
});

describe('taser start with Slack unreachable', () => {
  it('exits 69 with one line, before touching the database, in bounded time', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/`;
    const started = Date.now();
    const { code, stderr } = await runTaser(['start', '--http'], {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_API_URL: url,
      MONGODB_URI: 'mongodb://127.0.0.1:1/never-reached?serverSelectionTimeoutMS=500',
    }, 90_000);
    expect(code).toBe(69);
    const last = stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^taser: cannot reach Slack at ${url.replace(/[.]/g, '\\.')} \\(connection refused`));
    expect(last).toContain('(auth.test)');
    expect(stderr).not.toMatch(/MongoDB/);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
