// Confirmation flows in Slack: the DMs with Yes / No / Not sure (user) and Legit / Not legit / Don't know
// (manager), the on-call DM, the alert card's Ask user button, and `/case confirm` / `/case flows`. The flow
// itself (state, deadlines, pages) is the core's (src/confirmations/, ctx.confirmations): this plugin only
// talks to Slack and hands clicks over.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { buttonValueSchema } from '../../src/confirmations/model.js';
import { ALERT_ASK_ACTION } from '../../src/confirmations/alert-button.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import { personName } from '../../src/confirmations/people.js';
import { confirmationsPluginConfig } from './config.js';
import { createMessenger } from './messenger.js';
import { registerFlowCommands } from './commands.js';

/** Alert artifacts that name a person, best first. */
const USER_FIELDS = ['username', 'email', 'user'];

export default definePlugin({
  namespace: 'confirmations',
  description: 'Asks users (then managers, then on-call) in Slack whether an alert was them',
  config: confirmationsPluginConfig,
  enabledByDefault: true,
  // conversations.open (im:write), users.lookupByEmail (users:read, users:read.email), DMs and their updates.
  slack: { scopes: ['chat:write', 'im:write', 'users:read', 'users:read.email'] },
  exampleConfig: { templates: { user: 'confirmations:user-dm', manager: 'confirmations:manager-dm', oncall: 'confirmations:oncall-dm' } },
  setup(plugin) {
    plugin.templates('templates');

    const answer = plugin.action({
      name: 'answer',
      value: buttonValueSchema,
      async handler(input, ctx) {
        const result = await ctx.confirmations.answer(input.value.f, input.value.a, input.user.id);
        await input.respond({ text: result.message, response_type: 'ephemeral' });
      },
      repeated: (when) => `You already answered this at ${when}; nothing changed.`,
    });
    // The on-call DM's Open the case button is a link; Slack still reports the click.
    plugin.action({ name: 'open-case', async handler() {} });

    const askUser = plugin.action({
      name: ALERT_ASK_ACTION.split(':')[1]!,
      value: z.strictObject({ a: z.string().regex(/^[0-9a-f]{24}$/) }),
      async handler(input, ctx) {
        const alert = await ctx.correlation.alerts.get(input.value.a);
        if (!alert) return input.respond('This alert no longer exists. Nothing was done.');
        const refusal = await ctx.cases.refusal({ kind: 'slack', userId: input.user.id }, 'create', alert.team ? { team: alert.team.toLowerCase() } : {});
        if (refusal) return input.respond(refusal);
        const user = USER_FIELDS.map((f) => alert.artifacts.find((a) => a.startsWith(`${f}=`))?.slice(f.length + 1)).find(Boolean);
        if (!user) return input.respond('This alert names no user (username or email): ask someone with `/case confirm N @user`.');
        const flow = await ctx.confirmations.start({ alertId: alert._id, user }, input.user.id);
        await input.respond(`Case #${flow.caseNumber}: ${flow.userUnresolved ? `could not ask ${escapeMrkdwn(user)} (${escapeMrkdwn(flow.userUnresolved)}); their manager was asked` : `asked ${escapeMrkdwn(personName(flow.user))}`}. \`/case flows ${flow.caseNumber}\` shows where it stands.`);
      },
    });
    if (askUser.actionId !== ALERT_ASK_ACTION) throw new Error(`the Ask user action id is ${askUser.actionId}, the core expects ${ALERT_ASK_ACTION}`);

    registerFlowCommands(plugin);

    plugin.onStart((ctx) => {
      ctx.confirmations.useMessenger(createMessenger(ctx, answer));
    });
  },
});
