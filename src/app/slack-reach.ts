// Reaching Slack at start: auth.test of the bot token, retried a bounded number of times when Slack cannot be
// reached, then one line naming the URL, the cause (DNS, refused, TLS, timeout, HTTP status) and what was being
// done. A refused token is not retried: it will not get better.
import { WebClient, LogLevel } from '@slack/web-api';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export interface BotIdentity {
  botId: string;
  botUserId: string;
  teamId?: string;
}

/** Slack could not be reached at all (as opposed to answering no). The CLI exits EXIT_UNAVAILABLE. */
export class SlackUnreachableError extends Error {
  override readonly name = 'SlackUnreachableError';
}

/** A person-readable cause for a failed request to Slack, from the transport error's code. */
export function describeSlackFailure(err: unknown): string {
  const e = err as { code?: string; statusCode?: number; original?: { code?: string; message?: string; cause?: { code?: string } }; message?: string };
  if (e.code === 'slack_webapi_http_error') return `HTTP ${e.statusCode ?? '?'} from the server`;
  const code = e.original?.code ?? e.original?.cause?.code ?? e.code;
  const detail = e.original?.message ?? e.message ?? String(err);
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `DNS lookup failed (${code}): the host name does not resolve here`;
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED): nothing listens there, or a firewall rejects it';
    case 'ECONNRESET':
      return 'connection reset (ECONNRESET): a proxy or firewall may be cutting it';
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `no answer (${code}): no route to the host, or a firewall drops the traffic`;
    default:
      if (code && /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
        return `TLS failed (${code}): the certificate is not trusted here (a TLS-inspecting proxy needs NODE_EXTRA_CA_CERTS)`;
      }
      return code ? `${code}: ${detail}` : detail;
  }
}

export interface VerifyOptions {
  token: string;
  apiUrl?: string;
  logger: Logger;
  /** Attempts in all, when Slack cannot be reached; default 5 (about 30 s of waiting). */
  attempts?: number;
  /** Wait before the second attempt; doubles each time, at most 10 s. */
  firstDelayMs?: number;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

/** Checks the bot token with auth.test, so a wrong token or an unreachable Slack stops start-up with one clear line. */
export async function verifyBotToken(options: VerifyOptions): Promise<BotIdentity> {
  const url = options.apiUrl ?? DEFAULT_SLACK_API_URL;
  const attempts = Math.max(1, options.attempts ?? 5);
  // Our own retries, so the WebClient's (about 30 minutes by default) are off, and its log lines too.
  const client = new WebClient(options.token, {
    slackApiUrl: url,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR,
    logger: { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} },
  });
  let delay = options.firstDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await client.auth.test();
    } catch (err) {
      const platform = (err as { code?: string; data?: { error?: string } }).code === 'slack_webapi_platform_error';
      if (platform) {
        const code = (err as { data?: { error?: string } }).data?.error ?? 'error';
        throw new ConfigError([`SLACK_BOT_TOKEN: Slack refused the token (auth.test: ${code}); copy the Bot User OAuth Token again`]);
      }
      const cause = describeSlackFailure(err);
      if (attempt >= attempts) {
        throw new SlackUnreachableError(
          `cannot reach Slack at ${url} (${cause}) while checking the bot token (auth.test); gave up after ${attempts} attempts. ` +
            'Check the network, HTTPS_PROXY, and SLACK_API_URL.',
        );
      }
      options.logger.warn({ url, attempt, attempts, retryInMs: delay }, `cannot reach Slack at ${url} (${cause}) for auth.test; retrying in ${Math.round(delay / 1000)} s`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
      continue;
    }
    if (!res.user_id) throw new ConfigError(['SLACK_BOT_TOKEN: auth.test returned no user id; is this a bot token (xoxb-)?']);
    return { botId: res.bot_id ?? '', botUserId: res.user_id, teamId: res.team_id };
  }
}
