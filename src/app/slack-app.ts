// The Bolt app, in Socket Mode (SLACK_APP_TOKEN, the development default) or HTTP mode (`taser start --http`:
// HTTPReceiver at /slack/events with signature verification; refused without a signing secret).
import { App, HTTPReceiver, SocketModeReceiver, LogLevel, type Receiver } from '@slack/bolt';
import type { Logger as BoltLogger } from '@slack/logger';
import type { RequestListener } from 'node:http';
import { ConfigError } from './errors.js';
import type { AppConfig } from './config.js';
import type { Logger } from './logger.js';
import type { BotIdentity } from './slack-reach.js';

export type SlackMode = 'socket' | 'http';

export interface SlackApp {
  app: App;
  mode: SlackMode;
  /** HTTP mode: the listener the HTTP server mounts at /slack/events. */
  requestListener?: RequestListener;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What is missing for a mode, as lines a newcomer can act on. */
export function slackProblems(config: AppConfig, mode: SlackMode): string[] {
  const problems: string[] = [];
  if (!config.slack.botToken) problems.push('SLACK_BOT_TOKEN: missing: the bot token (xoxb-...) from your Slack app\'s "OAuth & Permissions" page');
  if (mode === 'socket' && !config.slack.appToken) {
    problems.push(
      'SLACK_APP_TOKEN: missing: Socket Mode needs an app-level token (xapp-...) with the connections:write scope ' +
        '("Basic Information" > "App-Level Tokens"); or run `taser start --http` with SLACK_SIGNING_SECRET',
    );
  }
  if (mode === 'http' && !config.slack.signingSecret) {
    problems.push('SLACK_SIGNING_SECRET: missing: HTTP mode verifies every request with the signing secret ("Basic Information" page); taser refuses to start without it');
  }
  return problems;
}

function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

export function createSlackApp(config: AppConfig, mode: SlackMode, logger: Logger, identity?: BotIdentity): SlackApp {
  const problems = slackProblems(config, mode);
  if (problems.length) throw new ConfigError(problems);
  const boltLog = boltLogger(logger);

  let receiver: Receiver;
  let requestListener: RequestListener | undefined;
  if (mode === 'http') {
    const http = new HTTPReceiver({
      signingSecret: config.slack.signingSecret!,
      endpoints: '/slack/events',
      logger: boltLog,
      // Bolt's own timeout answers 404 after this; Slack gives up at 3 s anyway.
      unhandledRequestTimeoutMillis: 3001,
    });
    receiver = http;
    requestListener = http.requestListener;
  } else {
    receiver = new SocketModeReceiver({
      appToken: config.slack.appToken!,
      logger: boltLog,
      // SLACK_API_URL applies to the socket connection request (apps.connections.open) too, with bounded retries.
      installerOptions: {
        clientOptions: {
          ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
          retryConfig: { retries: 4, factor: 2, minTimeout: 1000, maxTimeout: 10_000 },
        },
      },
    });
  }

  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: boltLog,
    // Verifying the token is done explicitly at start (auth.test) so a bad token is a clear error, not an
    // unhandled rejection from the constructor.
    tokenVerificationEnabled: false,
    // Bolt's default conversation store is per process (wrong with several replicas) and nothing here reads
    // context.conversation; its middleware cost every request a rejected lookup (an Error and its stack).
    convoStore: false,
    clientOptions: {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    },
    ...(identity ? { botId: identity.botId, botUserId: identity.botUserId } : {}),
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });

  return {
    app,
    mode,
    requestListener,
    // In HTTP mode our own server serves /slack/events; only Socket Mode has a connection to open.
    start: async () => {
      if (mode === 'socket') await app.start();
    },
    stop: async () => {
      if (mode === 'socket') await app.stop();
    },
  };
}
