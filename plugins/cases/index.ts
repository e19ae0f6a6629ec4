// Cases in Slack: the /case command, the alert card's Create case and Add to case buttons (their ids are core
// constants the alerts plugin uses), case channels (Open channel, `/case channel`, their messages logged),
// and a notice in the admin channel when a case's backend sync fails.
// The cases themselves are the core's (ctx.cases): this plugin only asks, checks arguments and answers.
import { definePlugin } from '../../src/plugins/define.js';
import { configSchema } from './config.js';
import { registerCommands } from './commands.js';
import { registerCaseForms } from './card-actions.js';
import { registerChannels } from './channels.js';
import { nameOf } from './replies.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';

export default definePlugin({
  namespace: 'cases',
  description: 'The /case command and the case buttons of alert cards',
  config: configSchema,
  enabledByDefault: true,
  // Case channels: conversations.create/invite/setTopic/setPurpose (channels:manage, groups:write), pins.add,
  // users.info for authors' names; files:write and im:write: /case export uploads to the asker's DM; history and replies for the backfill come with the message events.
  slack: { scopes: ['chat:write', 'files:write', 'im:write', 'channels:manage', 'groups:write', 'pins:write', 'users:read'], events: ['message.channels', 'message.groups'] },
  exampleConfig: { pageSize: 10, quickSeverity: 'medium' },
  setup(plugin) {
    const { newCaseView } = registerCaseForms(plugin);
    const openChannel = registerChannels(plugin);
    registerCommands(plugin, { newCaseView, openChannel });

    plugin.onStart((ctx) => {
      ctx.cases.events.on('updated', (c, event) => {
        if (event.kind !== 'sync_failed' || !ctx.channels.admin) return;
        const { error } = event.data as { error: string };
        ctx.slack.chat
          .postMessage({
            channel: ctx.channels.admin,
            text: `:warning: ${nameOf(ctx, c)} could not be synced to ${escapeMrkdwn(c.backend.name)}: ${escapeMrkdwn(error)}. Fix the cause, then \`/case retry-sync ${c.number}\`.`,
          })
          .catch((err: unknown) => ctx.logger.error({ err, case: c._id }, 'could not post the failed-sync notice'));
      });
    });
  },
});
