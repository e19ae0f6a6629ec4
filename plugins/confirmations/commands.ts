// `/case confirm N @user [question]` starts a flow by hand; `/case flows N` shows where each flow of a case
// stands. Subcommands of the cases plugin's /case, registered here (the host routes subcommands by name).
import { UserError } from '../../src/app/errors.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import { parseCaseRef } from '../../src/cases/model.js';
import { ANSWER_TEXT, type StoredFlow } from '../../src/confirmations/model.js';
import { personName } from '../../src/confirmations/people.js';
import type { PluginContext, PluginRegistrar } from '../../src/plugins/types.js';
import type { ConfirmationsPluginConfig } from './config.js';

type Ctx = PluginContext<ConfirmationsPluginConfig>;

export const USAGE = {
  confirm: '/case confirm N @user|email [question]',
  flows: '/case flows N',
} as const;

/** One line per person the flow reached, then the problems. */
export function flowLines(flow: StoredFlow): string {
  const at = (d?: Date) => (d ? ` (${d.toISOString()})` : '');
  const lines = [
    `*Flow* \`${flow._id}\`: *${flow.state.replace('_', ' ')}*${flow.deadline && flow.state.startsWith('pending') ? `, next step at ${flow.deadline.toISOString()}` : ''}`,
    `• user ${escapeMrkdwn(personName(flow.user))}: ${flow.userAnswer ? `${ANSWER_TEXT[flow.userAnswer.answer]}${at(flow.userAnswer.at)}` : flow.userUnresolved ? `not asked: ${escapeMrkdwn(flow.userUnresolved)}` : 'no answer'}`,
  ];
  if (flow.manager || flow.managerUnresolved) lines.push(`• manager ${flow.manager ? escapeMrkdwn(personName(flow.manager)) : ''}: ${flow.managerAnswer ? `${ANSWER_TEXT[flow.managerAnswer.answer]}${at(flow.managerAnswer.at)}` : flow.managerUnresolved ? `not asked: ${escapeMrkdwn(flow.managerUnresolved)}` : 'no answer'}`);
  if (flow.oncall || flow.oncallUnresolved) lines.push(`• on-call: ${flow.oncall ? escapeMrkdwn(personName(flow.oncall)) : `none: ${escapeMrkdwn(flow.oncallUnresolved ?? '')}`}`);
  for (const p of flow.problems.slice(-5)) lines.push(`• :warning: ${escapeMrkdwn(p.message)}`);
  return lines.join('\n');
}

export function registerFlowCommands(plugin: PluginRegistrar<ConfirmationsPluginConfig>): void {
  const caseOf = async (ctx: Ctx, raw: string | undefined, usage: string) => {
    if (!raw || !parseCaseRef(raw)) throw new UserError(`Say which case: a number such as \`12\`. Usage: \`${usage}\``);
    const c = await ctx.cases.get(raw);
    if (!c) throw new UserError(`There is no case ${escapeMrkdwn(raw)}.`);
    return c;
  };

  plugin.command({
    command: '/case',
    subcommand: 'confirm',
    usage: USAGE.confirm,
    description: 'Ask someone whether what a case is about was them (then their manager, then on-call)',
    escapesMentions: true,
    async handler(input, ctx) {
      const c = await caseOf(ctx, input.args[0], USAGE.confirm);
      const user = input.args[1];
      if (!user) throw new UserError(`Say whom to ask: \`@someone\` or an e-mail. Usage: \`${USAGE.confirm}\``);
      const refusal = await ctx.cases.refusal({ kind: 'slack', userId: input.user.id }, 'work', { ...(c.team ? { team: c.team } : {}), caseId: c._id, number: c.number });
      if (refusal) return input.respond(refusal);
      const question = input.args.slice(2).join(' ').trim();
      const flow = await ctx.confirmations.start({ caseId: c._id, user, ...(question ? { question } : {}) }, input.user.id);
      const asked = flow.userUnresolved ? `could not ask ${escapeMrkdwn(personName(flow.user))} (${escapeMrkdwn(flow.userUnresolved)}), so their manager was asked` : `asked ${escapeMrkdwn(personName(flow.user))}`;
      await input.respond(`Case #${c.number}: ${asked}. \`${USAGE.flows.replace('N', String(c.number))}\` shows where it stands.`);
    },
  });

  plugin.command({
    command: '/case',
    subcommand: 'flows',
    usage: USAGE.flows,
    description: 'Where the confirmation flows of a case stand',
    async handler(input, ctx) {
      const c = await caseOf(ctx, input.args[0], USAGE.flows);
      const flows = await ctx.confirmations.forCase(c._id);
      if (!flows.length) return input.respond(`Case #${c.number} has no confirmation flows. Start one with \`${USAGE.confirm.replace('N', String(c.number))}\`.`);
      await input.respond(`*Case #${c.number}: confirmation flows*\n${flows.map(flowLines).join('\n\n')}`);
    },
  });
}
