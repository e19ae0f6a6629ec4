// The Web API client the outbox sends with. The app's client (ctx.slack) retries by itself: on 429 it sleeps
// and on 5xx it retries for about 30 minutes, which would hold the outbox job (and its lock) that long and
// hide the failure. This client, same token and URL, fails fast so the outbox owns retries: it honours
// Retry-After by rescheduling, backs off 5xx and network errors, and records every attempt.
import { WebClient } from '@slack/web-api';
import type { PluginContext } from '../../src/plugins/types.js';

const clients = new WeakMap<WebClient, WebClient>();
const TIMEOUT_MS = 15_000;

export function deliveryClient(ctx: PluginContext<unknown>): WebClient {
  let client = clients.get(ctx.slack);
  if (!client) {
    client = new WebClient(ctx.slack.token, {
      slackApiUrl: ctx.slack.slackApiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: TIMEOUT_MS,
    });
    clients.set(ctx.slack, client);
  }
  return client;
}

/** Tells the taser admins (config `channels.admin`) about a problem a person must fix; never throws. */
export async function notifyAdmins(ctx: PluginContext<unknown>, text: string): Promise<void> {
  const admin = ctx.channels.admin;
  if (!admin) {
    ctx.logger.warn({ notice: text }, 'no channels.admin configured: this notice for the admins is only in the log');
    return;
  }
  try {
    await deliveryClient(ctx).chat.postMessage({ channel: admin, text: `:warning: ${text}` });
  } catch (err) {
    ctx.logger.error({ err, notice: text, channel: admin }, 'could not post a notice to the admin channel');
  }
}
