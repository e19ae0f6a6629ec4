// The Slack side of confirmation flows (src/confirmations/ports.ts FlowMessenger): DMs opened with
// conversations.open and sent with chat.postMessage from the configured templates; an answer replaces the
// buttons (chat.update) with what was answered and when; users found by e-mail with users.lookupByEmail.
import type { ActionRef, PluginContext } from '../../src/plugins/types.js';
import type { FlowMessenger } from '../../src/confirmations/ports.js';
import { ANSWER_TEXT, MANAGER_ANSWERS, USER_ANSWERS, type Answer, type ButtonValue, type StoredFlow } from '../../src/confirmations/model.js';
import { personName } from '../../src/confirmations/people.js';
import type { ConfirmationsPluginConfig } from './config.js';

type Ctx = PluginContext<ConfirmationsPluginConfig>;
const STYLE: Partial<Record<Answer, 'primary' | 'danger'>> = { yes: 'primary', no: 'danger', legit: 'primary', not_legit: 'danger' };

/** What the user said so far, for the manager's and on-call's DMs. */
function userStatus(flow: StoredFlow): string {
  if (flow.userAnswer) return `They answered: ${ANSWER_TEXT[flow.userAnswer.answer]}.`;
  if (flow.userUnresolved) return `They could not be asked (${flow.userUnresolved}).`;
  return 'They have not answered.';
}

export function createMessenger(ctx: Ctx, answer: ActionRef<ButtonValue>): FlowMessenger {
  const buttons = (flow: StoredFlow, answers: readonly Answer[]) =>
    answers.map((a) => ({ text: ANSWER_TEXT[a], actionId: answer.withSuffix(a), value: answer.encode({ f: flow._id, c: flow.caseNumber, a }), style: STYLE[a] ?? null }));

  const caseLink = async (flow: StoredFlow) => {
    const c = await ctx.cases.get(flow.caseId);
    return (c && ctx.cases.link(c)) ?? null;
  };

  const data = async (flow: StoredFlow, extra: Record<string, unknown>) => ({
    summary: flow.facts.summary,
    when: flow.facts.when ?? null,
    where: flow.facts.where ?? null,
    device: flow.facts.device ?? null,
    sourceIp: flow.facts.sourceIp ?? null,
    caseNumber: flow.caseNumber,
    caseLink: await caseLink(flow),
    userName: personName(flow.user),
    userStatus: userStatus(flow),
    ...extra,
  });

  const dm = async (userId: string, template: string, body: Record<string, unknown>) => {
    const opened = await ctx.slack.conversations.open({ users: userId });
    const channel = opened.channel?.id;
    if (!channel) throw new Error(`Slack conversations.open for ${userId} returned no channel`);
    const { text, blocks } = ctx.templates.render(template, body);
    const posted = await ctx.slack.chat.postMessage({ channel, text, blocks });
    if (!posted.ts) throw new Error('Slack chat.postMessage returned no ts');
    return { channel: posted.channel ?? channel, ts: posted.ts };
  };

  return {
    async askUser(flow, slackUserId) {
      return dm(slackUserId, ctx.config.templates.user, await data(flow, { outcome: null, buttons: buttons(flow, USER_ANSWERS) }));
    },
    async askManager(flow, slackUserId) {
      return dm(slackUserId, ctx.config.templates.manager, await data(flow, { outcome: null, buttons: buttons(flow, MANAGER_ANSWERS) }));
    },
    async settle(message, flow, line) {
      const isManager = flow.messages.manager?.ts === message.ts && flow.messages.manager.channel === message.channel;
      const template = isManager ? ctx.config.templates.manager : ctx.config.templates.user;
      const { text, blocks } = ctx.templates.render(template, await data(flow, { outcome: line, buttons: null }));
      await ctx.slack.chat.update({ channel: message.channel, ts: message.ts, text, blocks });
    },
    async tellOncall(flow, slackUserId, link) {
      await dm(slackUserId, ctx.config.templates.oncall, await data(flow, { caseLink: link ?? null }));
    },
    async slackUserByEmail(email) {
      try {
        const found = await ctx.slack.users.lookupByEmail({ email });
        return found.user?.id;
      } catch (err) {
        if ((err as { data?: { error?: string } }).data?.error === 'users_not_found') return undefined;
        throw err;
      }
    },
  };
}
