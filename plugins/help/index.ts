// The help plugin: `/taser help` lists the commands the caller may run, and "Ask the taser admins" opens a
// form whose answer is stored and delivered to the admin channel by a job (so a Slack hiccup loses nothing).
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import type { CommandInfo, PluginContext } from '../../src/plugins/types.js';
import { UserError } from '../../src/app/errors.js';

const configSchema = z.strictObject({
  /** Where questions from "Ask the taser admins" go. Without it the button is not shown. */
  adminChannel: z.string().regex(/^[CG][A-Z0-9]+$/, 'a Slack channel id such as C012AB3CD').optional(),
});
type Config = z.infer<typeof configSchema>;

interface Question {
  _id?: unknown;
  userId: string;
  text: string;
  askedAt: Date;
  deliveredAt?: Date;
}

const QUESTION_BLOCK = 'question';
const QUESTION_INPUT = 'text';
const MAX_QUESTION = 2000;

async function visibleCommands(ctx: PluginContext<Config>, userId: string): Promise<CommandInfo[]> {
  const visible: CommandInfo[] = [];
  for (const command of ctx.commands()) {
    if (!command.groups?.length || (await ctx.access.isMember(userId, command.groups))) visible.push(command);
  }
  return visible.sort((a, b) => a.usage.localeCompare(b.usage));
}

export default definePlugin({
  namespace: 'help',
  description: 'Lists the commands a user may run, and lets them ask the taser admins a question',
  config: configSchema,
  enabledByDefault: true,
  // Questions are posted to the admin channel.
  slack: { scopes: ['chat:write'] },
  exampleConfig: { adminChannel: 'C0ADMIN01' },
  setup(plugin) {
    plugin.templates('templates');

    const deliver = plugin.job<{ questionId: string }>({
      name: 'deliver-question',
      data: z.object({ questionId: z.string() }),
      async handler({ data }, ctx) {
        const questions = ctx.collection<Question>('questions');
        const { ObjectId } = await import('mongodb');
        const question = await questions.findOne({ _id: new ObjectId(data.questionId) });
        if (!question || question.deliveredAt || !ctx.config.adminChannel) return;
        // Throws on a Slack error: the job fails and the question stays undelivered, visible in the collection.
        await ctx.slack.chat.postMessage({
          channel: ctx.config.adminChannel,
          ...ctx.templates.render('help:question', { userId: question.userId, text: question.text }),
        });
        await questions.updateOne({ _id: question._id }, { $set: { deliveredAt: new Date() } });
      },
    });

    const askView = plugin.view({
      name: 'ask',
      async handler({ values, user }, ctx) {
        const text = (values[`${QUESTION_BLOCK}.${QUESTION_INPUT}`] as string | undefined)?.trim() ?? '';
        if (!text) return { errors: { [QUESTION_BLOCK]: 'Please write your question.' } };
        if (text.length > MAX_QUESTION) return { errors: { [QUESTION_BLOCK]: `At most ${MAX_QUESTION} characters, please.` } };
        const { insertedId } = await ctx.collection<Question>('questions').insertOne({ userId: user.id, text, askedAt: new Date() });
        await ctx.scheduler.now(deliver, { questionId: String(insertedId) });
        ctx.logger.info({ user: user.id }, 'question for the admins stored');
      },
    });

    const ask = plugin.action({
      name: 'ask',
      async handler({ openModal }, ctx) {
        if (!ctx.config.adminChannel) throw new UserError('No admin channel is configured, so questions cannot be delivered.');
        await openModal(
          ctx.templates.renderView('help:ask-modal', {
            callbackId: askView.callbackId,
            blockId: QUESTION_BLOCK,
            actionId: QUESTION_INPUT,
            maxLength: MAX_QUESTION,
          }),
        );
      },
    });

    plugin.command({
      command: '/taser',
      subcommand: 'help',
      usage: '/taser help',
      description: 'Lists the taser commands you may run.',
      async handler({ user, respond }, ctx) {
        const commands = await visibleCommands(ctx, user.id);
        await respond(
          ctx.templates.render('help:list', {
            commands: commands.map((c) => ({ usage: c.usage, description: c.description })),
            ask: ctx.config.adminChannel ? { actionId: ask.actionId } : null,
          }),
        );
      },
    });
  },
});
