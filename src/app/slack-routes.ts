// Connects the route table to Bolt: one listener per kind (commands, actions, views, events) that routes by
// the namespaced id, so an interaction reaches only the plugin that owns its prefix, and an id nobody owns
// still gets a clear answer instead of a Slack timeout.
import type { App, BlockAction, SlashCommand, ViewSubmitAction, RespondFn } from '@slack/bolt';
import type { View } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Db } from 'mongodb';
import { guard } from './guard.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { splitArgs } from './args.js';
import { CORE_COLLECTIONS } from '../store/collections.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { InteractionLedger } from './interaction-ledger.js';
import { nextTurn } from './turns.js';
import { decodeActionValue, InvalidPayloadError, type RouteTable } from '../plugins/routes.js';
import type { AccessControl, PluginContext, Reply } from '../plugins/types.js';

export interface SlackRouteDeps {
  routes: RouteTable;
  contexts: Map<string, PluginContext<unknown>>;
  access: AccessControl;
  db: Db;
  logger: Logger;
  metrics: Metrics;
}

function toResponse(reply: Reply) {
  return typeof reply === 'string'
    ? { response_type: 'ephemeral' as const, text: reply }
    : { response_type: reply.response_type ?? ('ephemeral' as const), text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) };
}

function replier(respond: RespondFn | undefined, logger: Logger) {
  return async (reply: Reply) => {
    if (!respond) {
      logger.warn('no response_url on this request; reply dropped');
      return;
    }
    await respond(toResponse(reply));
  };
}

function modalOpener(client: WebClient, triggerId: string) {
  return async (view: View) => {
    await client.views.open({ trigger_id: triggerId, view });
  };
}

/** A time as Slack's date token (the reader's time zone), HH:MM UTC as the fallback text. */
function slackTime(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{time}|${at.toISOString().slice(11, 16)} UTC>`;
}

/** How long a repeated interaction counts as the same one: Slack's signature replay window. */
export const SLACK_REPLAY_WINDOW_SEC = 300;

export function registerSlackRoutes(app: App, deps: SlackRouteDeps): void {
  const { routes, contexts, logger, metrics } = deps;
  const ctxOf = (namespace: string) => contexts.get(namespace)!;

  // Slack retries events it thinks were not delivered; the unique _id makes "handled once" hold across replicas.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      try {
        await deps.db.collection(CORE_COLLECTIONS.slackEvents).insertOne({ _id: eventId as never, receivedAt: new Date() });
      } catch (err) {
        if (isDuplicateKeyError(err)) {
          metrics.slackRequests.inc();
          logger.debug({ eventId }, 'duplicate Slack event skipped');
          return;
        }
        throw err;
      }
    }
    await next();
  });

  // Interactive requests are not retried by Slack, but a captured one can be replayed while its signature is
  // fresh (5 minutes) and a button can be clicked twice: each runs once. The unique _id is the arbiter, so it
  // holds across replicas and on a store whose conditional updates are not atomic. Called after ack().
  const ledger = new InteractionLedger(deps.db);
  async function firstTime(kind: string, parts: unknown[] | string): Promise<boolean> {
    const key = typeof parts === 'string' ? parts : InteractionLedger.key(kind, parts);
    const first = await ledger.claim(key);
    // A batch of claims resolves at once: the handlers go on one per turn, so acks are not kept waiting.
    await nextTurn();
    if (first) return true;
    metrics.slackRequests.inc();
    logger.info({ kind, interaction: key }, 'repeated Slack interaction skipped (replay or double click)');
    return false;
  }
  // Handlers start after the I/O phase, so requests already received are acknowledged before any handler runs.
  const afterAck = () => new Promise<void>((resolve) => setImmediate(resolve));

  // ------------------------------------------------------------ slash commands
  const slashCommands = new Set(routes.commands.map((c) => c.def.command));
  for (const slash of slashCommands) {
    app.command(slash, async ({ command, ack, respond, client }) => {
      await ack();
      await afterAck();
      // trigger_id is unique per invocation: only a replay repeats it.
      const first = await firstTime('command', [command.trigger_id, command.user_id, command.command, command.text]).catch(async (err: unknown) => {
        logger.error({ err }, 'could not record a slash command as run; it was not run');
        await replier(respond, logger)('taser could not record this command (its database did not answer); nothing was done. Try again.').catch(() => {});
        return false;
      });
      if (!first) return;
      await dispatchCommand(command, respond, client);
    });
  }

  async function dispatchCommand(payload: SlashCommand, respond: RespondFn, client: WebClient) {
    const reply = replier(respond, logger);
    const words = splitArgs(payload.text ?? '');
    const candidates = routes.commands.filter((c) => c.def.command === payload.command);
    const whole = candidates.find((c) => c.def.subcommand === undefined);
    const first = words[0]?.toLowerCase();
    const route =
      whole ??
      candidates.find((c) => c.def.subcommand === first) ??
      (first === undefined ? candidates.find((c) => c.def.subcommand === 'help') : undefined);
    if (!route) {
      const known = candidates.map((c) => `\`${c.def.usage}\``).join('\n');
      await reply(`Unknown subcommand ${first ? `\`${first}\`` : ''} for \`${payload.command}\`. Available:\n${known}`).catch((err) =>
        logger.warn({ err }, 'could not answer an unknown subcommand'),
      );
      return;
    }
    const text = whole ? (payload.text ?? '').trim() : (payload.text ?? '').trim().replace(/^\S+\s*/, '');
    const routeName = whole ? payload.command : `${payload.command} ${route.def.subcommand}`;
    await guard({ plugin: route.namespace, kind: 'command', route: routeName, logger, metrics, reply: (t) => reply(t) }, async () => {
      if (route.def.groups?.length && !(await deps.access.isMember(payload.user_id, route.def.groups))) {
        logger.warn({ audit: 'acl_denied', user: payload.user_id, route: routeName, groups: route.def.groups }, 'command refused by ACL');
        await reply(`You are not allowed to run \`${routeName}\`: it is limited to ${route.def.groups.map((g) => `\`${g}\``).join(', ')}.`);
        return;
      }
      await route.def.handler(
        {
          text,
          args: whole ? words : words.slice(1),
          user: { id: payload.user_id, name: payload.user_name, teamId: payload.team_id },
          channelId: payload.channel_id,
          triggerId: payload.trigger_id,
          payload,
          respond: reply,
          openModal: modalOpener(client, payload.trigger_id),
        },
        ctxOf(route.namespace),
      );
    });
  }

  // ------------------------------------------------------------ block actions
  app.action(/.*/, async ({ ack, body, respond, client }) => {
    await ack();
    await afterAck();
    if (body.type !== 'block_actions') return;
    const payload = body as BlockAction;
    const action = payload.actions[0];
    if (!action) return;
    const reply = replier(respond, logger);
    const actionId = action.action_id;
    const [namespace, name, ...rest] = actionId.split(':');
    const route = routes.actions.get(`${namespace}:${name}`);
    if (!route) {
      logger.warn({ actionId }, 'action with no registered handler');
      await reply('This button is no longer handled by taser (its plugin may be disabled). Nothing was done.').catch(() => {});
      return;
    }
    await guard({ plugin: route.namespace, kind: 'action', route: actionId, logger, metrics, reply }, async () => {
      const raw =
        'value' in action && typeof action.value === 'string'
          ? action.value
          : 'selected_option' in action && action.selected_option
            ? (action.selected_option as { value: string }).value
            : undefined;
      // Idempotent on (user, action, message, value) for a 5-minute window; a replay repeats action_ts, so it
      // always falls in the window of the click it copies.
      const clickedSec = Number(action.action_ts);
      const window = Math.floor((Number.isFinite(clickedSec) ? clickedSec : Date.now() / 1000) / SLACK_REPLAY_WINDOW_SEC);
      const message = payload.message?.ts ?? payload.container?.message_ts ?? payload.view?.id;
      const key = InteractionLedger.key('action', [payload.user.id, actionId, message, raw ?? null, window]);
      if (!(await firstTime('action', key))) {
        // A double click changes nothing and says so; only this (rare) path reads when the first one ran.
        const when = slackTime((await ledger.claimedAt(key)) ?? new Date());
        await reply(route.def.repeated?.(when) ?? `This was already done at ${when}; nothing changed.`);
        return;
      }
      const value = decodeActionValue(route.def, raw);
      await route.def.handler(
        {
          value,
          suffix: rest.length ? rest.join(':') : undefined,
          user: { id: payload.user.id, name: payload.user.name ?? payload.user.username, teamId: payload.user.team_id },
          channelId: payload.channel?.id,
          messageTs: payload.message?.ts,
          triggerId: payload.trigger_id,
          payload,
          respond: reply,
          openModal: modalOpener(client, payload.trigger_id),
        },
        ctxOf(route.namespace),
      );
    });
  });

  // ------------------------------------------------------------ view submissions
  app.view({ callback_id: /.*/, type: 'view_submission' }, async ({ ack, body, client }) => {
    const payload = body as ViewSubmitAction;
    const callbackId = payload.view.callback_id;
    const route = routes.views.get(callbackId);
    const dm = async (text: string) => client.chat.postMessage({ channel: payload.user.id, text });
    if (!route) {
      await ack();
      logger.warn({ callbackId }, 'view submission with no registered handler');
      await dm('That form is no longer handled by taser (its plugin may be disabled). Nothing was saved.').catch(() => {});
      return;
    }
    let acked = false;
    const result = await guard({ plugin: route.namespace, kind: 'view', route: callbackId, logger, metrics, reply: dm }, async () => {
      // A view's hash changes with every update of it: only a replay repeats (id, hash).
      if (!(await firstTime('view', [payload.user.id, payload.view.id, payload.view.hash, payload.view.state.values]))) return undefined;
      let metadata: unknown;
      if (route.def.metadata) {
        let data: unknown;
        try {
          data = JSON.parse(payload.view.private_metadata || 'null');
        } catch {
          throw new InvalidPayloadError('private_metadata is not JSON');
        }
        const parsed = route.def.metadata.safeParse(data);
        if (!parsed.success) throw new InvalidPayloadError(parsed.error.message);
        metadata = parsed.data;
      }
      const outcome = await route.def.handler(
        {
          values: flattenViewState(payload.view.state.values),
          metadata,
          user: { id: payload.user.id, name: payload.user.name, teamId: payload.user.team_id ?? undefined },
          viewId: payload.view.id,
          payload,
        },
        ctxOf(route.namespace),
      );
      if (outcome && outcome.errors && Object.keys(outcome.errors).length) {
        acked = true;
        await ack({ response_action: 'errors', errors: outcome.errors });
      }
      return outcome;
    });
    if (!acked) await ack();
    void result;
  });

  // ------------------------------------------------------------ events
  const eventTypes = new Set(routes.events.map((e) => e.def.event));
  for (const type of eventTypes) {
    const listeners = routes.events.filter((e) => e.def.event === type);
    app.event(type, async ({ event, body }) => {
      const envelope = body as { event_id?: string; team_id?: string };
      // Each listener runs guarded on its own: one failing plugin does not keep the event from the others.
      await Promise.all(
        listeners.map((listener) =>
          guard({ plugin: listener.namespace, kind: 'event', route: type, logger, metrics }, () =>
            listener.def.handler(
              { event: event as unknown as Record<string, unknown> & { type: string }, eventId: envelope.event_id, teamId: envelope.team_id },
              ctxOf(listener.namespace),
            ),
          ),
        ),
      );
    });
  }
}

type StateValues = ViewSubmitAction['view']['state']['values'];

/** blockId.actionId -> the submitted value, whatever the input element. */
export function flattenViewState(values: StateValues): Record<string, string | string[] | undefined> {
  const flat: Record<string, string | string[] | undefined> = {};
  for (const [blockId, actions] of Object.entries(values)) {
    for (const [actionId, input] of Object.entries(actions)) {
      const v = input as unknown as Record<string, unknown>;
      let value: string | string[] | undefined;
      if (typeof v.value === 'string') value = v.value;
      else if (v.selected_option) value = (v.selected_option as { value: string }).value;
      else if (Array.isArray(v.selected_options)) value = (v.selected_options as { value: string }[]).map((o) => o.value);
      else if (typeof v.selected_user === 'string') value = v.selected_user;
      else if (Array.isArray(v.selected_users)) value = v.selected_users as string[];
      else if (typeof v.selected_conversation === 'string') value = v.selected_conversation;
      else if (typeof v.selected_channel === 'string') value = v.selected_channel;
      else if (typeof v.selected_date === 'string') value = v.selected_date;
      else if (typeof v.selected_time === 'string') value = v.selected_time;
      flat[`${blockId}.${actionId}`] = value;
    }
  }
  return flat;
}
