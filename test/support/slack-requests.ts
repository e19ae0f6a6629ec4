// Requests exactly as Slack sends them to an app (form-encoded commands and interactivity with a `payload`
// field, JSON events), signed with the signing secret, or deliberately forged.
import { createHmac } from 'node:crypto';

export interface SlackBody {
  raw: string;
  contentType: string;
}

export type SignatureMode = 'valid' | 'wrong' | 'missing' | 'stale';

export function signSlackRequest(secret: string, rawBody: string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${timestampSec}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${signature}`, 'x-slack-request-timestamp': String(timestampSec) };
}

const form = (fields: Record<string, string>): SlackBody => ({
  raw: new URLSearchParams(fields).toString(),
  contentType: 'application/x-www-form-urlencoded',
});

export interface SlackActor {
  userId?: string;
  userName?: string;
  teamId?: string;
  channelId?: string;
}

export function slackCommandBody(
  options: SlackActor & { command: string; text?: string; responseUrl: string; triggerId?: string },
): SlackBody {
  return form({
    token: 'deprecated-verification-token',
    team_id: options.teamId ?? 'T0TEST01',
    team_domain: 'taser-test',
    channel_id: options.channelId ?? 'C0GENERAL',
    channel_name: 'general',
    user_id: options.userId ?? 'U0ALICE1',
    user_name: options.userName ?? 'alice',
    command: options.command,
    text: options.text ?? '',
    api_app_id: 'A0TASER01',
    is_enterprise_install: 'false',
    response_url: options.responseUrl,
    trigger_id: options.triggerId ?? '1234.5678.abcdef',
  });
}

export function blockActionsBody(
  options: SlackActor & { actionId: string; value?: string; blockId?: string; responseUrl: string; triggerId?: string; messageTs?: string },
): SlackBody {
  const userId = options.userId ?? 'U0ALICE1';
  const teamId = options.teamId ?? 'T0TEST01';
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: options.userName ?? 'alice', name: options.userName ?? 'alice', team_id: teamId },
    api_app_id: 'A0TASER01',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: options.messageTs ?? '1700000000.000100', channel_id: options.channelId ?? 'C0GENERAL', is_ephemeral: false },
    trigger_id: options.triggerId ?? '1234.5678.abcdef',
    team: { id: teamId, domain: 'taser-test' },
    channel: { id: options.channelId ?? 'C0GENERAL', name: 'general' },
    message: { type: 'message', ts: options.messageTs ?? '1700000000.000100', text: 'card', bot_id: 'BBOT0001' },
    response_url: options.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: options.blockId ?? 'actions',
        text: { type: 'plain_text', text: 'Button' },
        ...(options.value !== undefined ? { value: options.value } : {}),
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  return form({ payload: JSON.stringify(payload) });
}

export function viewSubmissionBody(
  options: SlackActor & { callbackId: string; privateMetadata?: string; values: Record<string, Record<string, Record<string, unknown>>>; viewId?: string },
): SlackBody {
  const userId = options.userId ?? 'U0ALICE1';
  const teamId = options.teamId ?? 'T0TEST01';
  const payload = {
    type: 'view_submission',
    team: { id: teamId, domain: 'taser-test' },
    user: { id: userId, username: options.userName ?? 'alice', name: options.userName ?? 'alice', team_id: teamId },
    api_app_id: 'A0TASER01',
    token: 'deprecated-verification-token',
    trigger_id: '1234.5678.abcdef',
    view: {
      id: options.viewId ?? 'V0VIEW001',
      team_id: teamId,
      type: 'modal',
      callback_id: options.callbackId,
      private_metadata: options.privateMetadata ?? '',
      state: { values: options.values },
      hash: '1700000000.abcdef',
      title: { type: 'plain_text', text: 'Form' },
      blocks: [],
    },
    response_urls: [],
  };
  return form({ payload: JSON.stringify(payload) });
}

export function eventBody(event: Record<string, unknown>, options: { eventId?: string; teamId?: string } = {}): SlackBody {
  return {
    raw: JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: options.teamId ?? 'T0TEST01',
      api_app_id: 'A0TASER01',
      event: { event_ts: '1700000000.000200', ...event },
      type: 'event_callback',
      event_id: options.eventId ?? `Ev${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
      event_time: 1_700_000_000,
      authorizations: [{ team_id: options.teamId ?? 'T0TEST01', user_id: 'UBOT0001', is_bot: true }],
    }),
    contentType: 'application/json',
  };
}

export function urlVerificationBody(challenge: string): SlackBody {
  return { raw: JSON.stringify({ token: 'deprecated-verification-token', challenge, type: 'url_verification' }), contentType: 'application/json' };
}

export interface SlackHttpResponse {
  status: number;
  text: string;
  json?: unknown;
}

/** POSTs a body to the app's Slack endpoint, signed as `signature` says. */
export async function sendSlackRequest(
  url: string,
  body: SlackBody,
  options: { secret: string; signature?: SignatureMode; retryNum?: number; retryReason?: string },
): Promise<SlackHttpResponse> {
  const now = Math.floor(Date.now() / 1000);
  const mode = options.signature ?? 'valid';
  let headers: Record<string, string> = { 'content-type': body.contentType };
  if (mode === 'valid') headers = { ...headers, ...signSlackRequest(options.secret, body.raw, now) };
  if (mode === 'wrong') headers = { ...headers, ...signSlackRequest(`${options.secret}-forged`, body.raw, now) };
  if (mode === 'stale') headers = { ...headers, ...signSlackRequest(options.secret, body.raw, now - 6 * 60) };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
  }
  const res = await fetch(url, { method: 'POST', headers, body: body.raw });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}
