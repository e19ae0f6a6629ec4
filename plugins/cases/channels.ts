// Case channels in Slack: the Open channel button on case messages, `/case channel N [private]`, and the
// message events of every channel, handed to the core, which logs those of case channels on their case.
import { z } from 'zod';
import type { ActionRef, PluginContext, PluginRegistrar, Reply, SlackBlock } from '../../src/plugins/types.js';
import { UserError } from '../../src/app/errors.js';
import { parseCaseRef } from '../../src/cases/model.js';
import type { OpenedChannel } from '../../src/cases/model.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import type { CasesPluginConfig } from './config.js';

type Ctx = PluginContext<CasesPluginConfig>;
export const CHANNEL_USAGE = '/case channel N [private]';

const caseRef = z.strictObject({ c: z.string().regex(/^[0-9a-f]{24}$/, 'a case id') });
export type OpenChannelAction = ActionRef<z.infer<typeof caseRef>>;

/** What the asker is told: the channel, who was invited, who could not be and why, and what else failed. */
export function openedReply(number: number, opened: OpenedChannel): Reply {
  const lines = [
    `Opened <#${opened.channel.id}|${opened.channel.name}>${opened.channel.private ? ' (private)' : ''} for case #${number}: every message in it is logged on the case.`,
    opened.invited.length ? `Invited ${opened.invited.map((u) => `<@${u}>`).join(', ')}.` : 'Nobody else was invited.',
    ...(opened.failedInvites.length ? [`:warning: Could not invite ${opened.failedInvites.map((f) => `<@${f.user}> (${escapeMrkdwn(f.error)})`).join(', ')}.`] : []),
    ...(opened.problems.length ? [`:warning: ${opened.problems.map(escapeMrkdwn).join('; ')}.`] : []),
  ];
  return { text: lines.join('\n'), response_type: 'ephemeral' };
}

/** The Open channel button for a case message. */
export function openChannelButton(action: OpenChannelAction, caseId: string): SlackBlock {
  return { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open channel' }, action_id: action.actionId, value: action.encode({ c: caseId }) }] };
}

export function registerChannels(plugin: PluginRegistrar<CasesPluginConfig>): OpenChannelAction {
  const open = async (ctx: Ctx, userId: string, ref: string, options: { private?: boolean }) => {
    const c = await ctx.cases.get(ref);
    if (!c) throw new UserError(`There is no case ${escapeMrkdwn(ref)}.`);
    return openedReply(c.number, await ctx.cases.openChannel({ kind: 'slack', userId }, c._id, options));
  };

  const action = plugin.action({
    name: 'open-channel',
    value: caseRef,
    async handler({ value, user, respond }, ctx) {
      await respond(await open(ctx, user.id, value.c, {}) as Reply & object);
    },
  });

  plugin.command({
    command: '/case',
    subcommand: 'channel',
    usage: CHANNEL_USAGE,
    description: 'Open another Slack channel for a case: its people invited, every message logged on the case',
    escapesMentions: true,
    async handler(input, ctx) {
      const [raw, flag] = input.args;
      if (!raw || !parseCaseRef(raw)) throw new UserError(`Say which case: a number such as \`12\`. Usage: \`${CHANNEL_USAGE}\``);
      if (flag !== undefined && flag.toLowerCase() !== 'private') throw new UserError(`\`${escapeMrkdwn(flag)}\`: only \`private\` may follow the number. Usage: \`${CHANNEL_USAGE}\``);
      await input.respond(await open(ctx, input.user.id, raw, flag ? { private: true } : {}));
    },
  });

  // Every message of every channel the bot is in: the core keeps those of case channels.
  plugin.event({
    event: 'message',
    async handler({ event }, ctx) {
      await ctx.cases.logChannelEvent(event);
    },
  });
  return action;
}
