// Starts a whole taser (HTTP mode, real Bolt receiver, real database, Slack Web API fake) for a test file.
import { pino } from 'pino';
import type { FileConfig, AppConfig } from '../../src/app/config.js';
import { fileConfigSchema } from '../../src/app/config.js';
import { startTaser, type Taser } from '../../src/app/runtime.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { startSlackFake, type SlackFake } from './slack-fake.js';
import { freshDbUri } from './db.js';

export const TEST_SIGNING_SECRET = 'test-signing-secret-8f3a';
export const TEST_BOT_TOKEN = 'xoxb-test-token';

export interface TestApp {
  taser: Taser;
  slack: SlackFake;
  /** http://127.0.0.1:PORT/slack/events */
  slackUrl: string;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface TestAppOptions {
  file?: Partial<Record<keyof FileConfig, unknown>>;
  pluginDirs?: string[];
  slack?: SlackFake;
  /** Environment the app reads secrets from (plugin secrets, API keys). */
  env?: Record<string, string>;
  /** A database of the test's own (e.g. one it stops and kills); default: a fresh database on the shared server. */
  mongodbUri?: string;
}

/** Collects log lines so tests can assert on what was logged (error ids, audit lines). */
function memoryLogger() {
  const logs: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: pino({ level: 'debug' }, stream), logs };
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const slack = options.slack ?? (await startSlackFake({ token: TEST_BOT_TOKEN }));
  const { logger, logs } = memoryLogger();
  const config: AppConfig = {
    slack: { botToken: TEST_BOT_TOKEN, signingSecret: TEST_SIGNING_SECRET, apiUrl: slack.apiUrl },
    mongodbUri: options.mongodbUri ?? freshDbUri('app'),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'debug',
    dataDir: '/nonexistent',
    configDir: process.cwd(),
    file: fileConfigSchema.parse(options.file ?? {}),
    env: options.env ?? {},
  };
  const taser = await startTaser({
    config,
    mode: 'http',
    logger,
    pluginDirs: options.pluginDirs ?? [BUILTIN_PLUGINS_DIR],
    processEveryMs: 100,
  });
  return {
    taser,
    slack,
    slackUrl: `${taser.url}/slack/events`,
    logs,
    async stop() {
      await taser.database.db.dropDatabase().catch(() => {});
      await taser.stop();
      if (!options.slack) await slack.stop();
    },
  };
}
