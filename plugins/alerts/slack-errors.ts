// What a failed Slack call means for a delivery: wait as Slack asks (429), try again later (5xx, network), or
// give up now (the bot is not in the channel, the blocks were refused: retrying cannot help).
export type SlackFailure =
  | { kind: 'rate_limited'; retryAfterSeconds: number; error: string }
  | { kind: 'transient'; error: string }
  | { kind: 'permanent'; error: string; code?: string };

const TRANSIENT_CODES = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);
const RATE_CODES = new Set(['ratelimited', 'rate_limited']);

export function classifySlackError(err: unknown): SlackFailure {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  const message = e?.message ?? String(err);
  switch (e?.code) {
    case 'slack_webapi_rate_limited_error':
      return { kind: 'rate_limited', retryAfterSeconds: Math.max(1, e.retryAfter ?? 30), error: `rate limited: Slack asked to retry after ${e.retryAfter ?? '?'} s` };
    case 'slack_webapi_http_error':
      return (e.statusCode ?? 0) >= 500 || e.statusCode === 408
        ? { kind: 'transient', error: `Slack answered HTTP ${e.statusCode}` }
        : { kind: 'permanent', error: `Slack answered HTTP ${e.statusCode}` };
    case 'slack_webapi_request_error':
      return { kind: 'transient', error: `network error: ${message}` };
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      if (RATE_CODES.has(code)) return { kind: 'rate_limited', retryAfterSeconds: 30, error: code };
      if (TRANSIENT_CODES.has(code)) return { kind: 'transient', error: code };
      return { kind: 'permanent', error: code, code };
    }
    default:
      // Not a Slack error: a bug on our side (rendering, data). Retrying would fail the same way.
      return { kind: 'permanent', error: message };
  }
}

/** Codes that mean "a person must fix the channel": said plainly in the log and to the admins. */
export function channelProblem(code: string | undefined, channel: string): string | undefined {
  switch (code) {
    case 'not_in_channel':
      return `taser is not a member of <#${channel}>: invite it there with \`/invite @taser\``;
    case 'channel_not_found':
      return `channel ${channel} does not exist or taser cannot see it (private channels need an invite): check \`channels\` in the config`;
    case 'is_archived':
      return `<#${channel}> is archived: unarchive it or route the team to another channel`;
    default:
      return undefined;
  }
}
