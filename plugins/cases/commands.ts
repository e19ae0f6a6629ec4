// The /case subcommands. Each checks its arguments, then calls ctx.cases, which checks the ACL, records the
// change as a case event and starts the backend sync; the reply names the case with its number and link.
import { z } from 'zod';
import type { CommandInput, PluginContext, PluginRegistrar, Reply, SlackBlock } from '../../src/plugins/types.js';
import { UserError } from '../../src/app/errors.js';
import { CASE_RESOLUTIONS, parseCaseRef, type CaseStatus } from '../../src/cases/model.js';
import type { CaseQuery } from '../../src/cases/model.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import type { CasesPluginConfig } from './config.js';
import { caseDetail, caseList, changed, mention } from './replies.js';
import { modalOrigin, newCaseModal } from './modals.js';
import type { ViewRef } from '../../src/plugins/types.js';
import { exportToAsker } from './export.js';
import { openChannelButton, type OpenChannelAction } from './channels.js';

type Ctx = PluginContext<CasesPluginConfig>;
type Origin = z.infer<typeof modalOrigin>;

export const USAGE = {
  new: '/case new [TITLE]',
  show: '/case show N',
  list: '/case list [open|closed|mine|team TEAM]',
  assign: '/case assign N @user|me|nobody',
  close: `/case close N RESOLUTION [summary]`,
  reopen: '/case reopen N',
  addAlert: '/case add-alert N ALERT_ID',
  retrySync: '/case retry-sync N',
  export: '/case export N [json|csv]',
  help: '/case help',
} as const;

const listFilter = z.strictObject({ status: z.enum(['open', 'closed']).optional(), mine: z.string().optional(), team: z.string().optional(), title: z.string() });
type ListFilter = z.infer<typeof listFilter>;

const caller = (input: { user: { id: string } }) => ({ kind: 'slack' as const, userId: input.user.id });

function caseArg(args: string[], usage: string): string {
  const raw = args[0];
  if (!raw || !parseCaseRef(raw)) throw new UserError(`Say which case: a number such as \`12\`. Usage: \`${usage}\``);
  return raw;
}

/** The team whose channel the command was typed in (channels.teams), if any. */
export function teamOfChannel(ctx: PluginContext<unknown>, channelId: string | undefined): string | undefined {
  return Object.entries(ctx.channels.teams).find(([, ch]) => ch === channelId)?.[0];
}

/** `<@U123|name>`, `<@U123>`, `U123`, `me`, or `nobody` (unassign). */
function userArg(raw: string | undefined, self: string): string | null {
  if (!raw) throw new UserError(`Say whom to assign: \`@someone\`, \`me\` or \`nobody\`. Usage: \`${USAGE.assign}\``);
  if (raw === 'me') return self;
  if (raw === 'nobody' || raw === 'none') return null;
  const m = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(raw) ?? /^([UW][A-Z0-9]+)$/.exec(raw);
  if (m) return m[1]!;
  throw new UserError(`\`${escapeMrkdwn(raw)}\` is not a Slack user: pick someone with @ (Slack sends their id), or say \`me\`. Usage: \`${USAGE.assign}\``);
}

export function registerCommands(plugin: PluginRegistrar<CasesPluginConfig>, deps: { newCaseView: ViewRef<Origin>; openChannel: OpenChannelAction }): void {
  const cmd = (subcommand: string, usage: string, description: string, handler: (input: CommandInput, ctx: Ctx) => Promise<void>) =>
    // Mentions arrive as ids (`/case assign 12 @ana` -> <@U123>), so a user is named without a lookup.
    plugin.command({ command: '/case', subcommand, usage, description, escapesMentions: true, handler });

  const listPage = plugin.action({
    name: 'list-page',
    value: z.strictObject({ f: listFilter, c: z.string().regex(/^\d+$/) }),
    async handler({ value, respond }, ctx) {
      await respond(await listReply(ctx, value.f, value.c));
    },
  });

  async function listReply(ctx: Ctx, filter: ListFilter, cursor?: string) {
    const query: CaseQuery = {
      limit: ctx.config.pageSize,
      ...(filter.status ? { status: filter.status as CaseStatus } : {}),
      ...(filter.mine ? { assignee: filter.mine } : {}),
      ...(filter.team ? { team: filter.team } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const { cases, next } = await ctx.cases.list(query);
    const page = cursor ? ` (from ${Number(cursor) + 1})` : '';
    return caseList(ctx, `${filter.title}${page}`, cases, next ? { actionId: listPage.actionId, value: listPage.encode({ f: filter, c: next }) } : undefined);
  }

  cmd('new', USAGE.new, 'Open a case: a form, or at once with the title given', async (input, ctx) => {
    const team = teamOfChannel(ctx, input.channelId);
    if (!input.text) {
      // In a team's channel, someone who may not open that team's cases is told before filling in a form;
      // elsewhere the team is picked in the form and checked on submission.
      const refusal = team ? await ctx.cases.refusal(caller(input), 'create', { team }) : null;
      if (refusal) return input.respond(refusal);
      await input.openModal(newCaseModal(deps.newCaseView.callbackId, deps.newCaseView.encode({ ch: input.channelId }), { ...(team ? { team } : {}) }, false));
      return;
    }
    const created = await ctx.cases.create(caller(input), { title: input.text, severity: ctx.config.quickSeverity, ...(team ? { team } : {}) });
    const reply = changed(ctx, created, 'Opened', 'in_channel') as Reply & object;
    await input.respond({ ...reply, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: reply.text } }, openChannelButton(deps.openChannel, created._id)] });
  });

  cmd('show', USAGE.show, 'Show a case: alerts, observables, assignee, backend sync', async (input, ctx) => {
    const ref = caseArg(input.args, USAGE.show);
    const c = await ctx.cases.get(ref);
    if (!c) throw new UserError(`There is no case ${escapeMrkdwn(ref)}.`);
    const detail = caseDetail(ctx, c) as { text: string; blocks: SlackBlock[] };
    await input.respond({ ...detail, blocks: [...detail.blocks, openChannelButton(deps.openChannel, c._id)] });
  });

  cmd('list', USAGE.list, 'List cases, newest first, a page at a time', async (input, ctx) => {
    const [what = 'open', arg] = input.args.map((a) => a.toLowerCase());
    let filter: ListFilter;
    if (what === 'open' || what === 'closed') filter = { status: what, title: `${what === 'open' ? 'Open' : 'Closed'} cases` };
    else if (what === 'all') filter = { title: 'All cases' };
    else if (what === 'mine') filter = { status: 'open', mine: input.user.id, title: 'Open cases assigned to you' };
    else if (what === 'team' && arg && /^[a-z0-9_.-]+$/.test(arg)) filter = { status: 'open', team: arg, title: `Open cases of team ${arg}` };
    else throw new UserError(`Usage: \`${USAGE.list}\` (or \`all\`).`);
    await input.respond(await listReply(ctx, filter));
  });

  cmd('assign', USAGE.assign, 'Assign a case to someone (or nobody)', async (input, ctx) => {
    const ref = caseArg(input.args, USAGE.assign);
    const assignee = userArg(input.args[1], input.user.id);
    const c = await ctx.cases.update(caller(input), ref, { assignee });
    await input.respond(changed(ctx, c, `Assigned to ${mention(c.assignee)}:`, 'in_channel'));
  });

  cmd('close', USAGE.close, `Close a case: ${CASE_RESOLUTIONS.join(', ')} (the case team's leads)`, async (input, ctx) => {
    const ref = caseArg(input.args, USAGE.close);
    const resolution = (input.args[1] ?? '').toLowerCase().replace(/-/g, '_');
    if (!(CASE_RESOLUTIONS as readonly string[]).includes(resolution)) {
      throw new UserError(`Say how it ended: one of ${CASE_RESOLUTIONS.map((r) => `\`${r}\``).join(', ')}. Usage: \`${USAGE.close}\``);
    }
    const summary = input.args.slice(2).join(' ');
    const c = await ctx.cases.close(caller(input), ref, { resolution: resolution as (typeof CASE_RESOLUTIONS)[number], summary });
    await input.respond(changed(ctx, c, `Closed as ${resolution.replace('_', ' ')}:`, 'in_channel'));
  });

  cmd('reopen', USAGE.reopen, 'Reopen a closed case', async (input, ctx) => {
    const c = await ctx.cases.reopen(caller(input), caseArg(input.args, USAGE.reopen));
    await input.respond(changed(ctx, c, 'Reopened', 'in_channel'));
  });

  cmd('add-alert', USAGE.addAlert, "Add an alert to a case: its artifacts become observables", async (input, ctx) => {
    const ref = caseArg(input.args, USAGE.addAlert);
    const alertId = input.args[1]?.toLowerCase();
    if (!alertId || !/^[0-9a-f]{24}$/.test(alertId)) throw new UserError(`Say which alert: its id (24 hex characters, as on the card and in the API). Usage: \`${USAGE.addAlert}\``);
    const c = await ctx.cases.addAlerts(caller(input), ref, [alertId]);
    await input.respond(changed(ctx, c, `Added alert \`${alertId}\` to`, 'in_channel'));
  });

  cmd('retry-sync', USAGE.retrySync, 'Retry a failed backend sync (cases.admins)', async (input, ctx) => {
    const c = await ctx.cases.retrySync(caller(input), caseArg(input.args, USAGE.retrySync));
    await input.respond(changed(ctx, c, 'Retrying the sync of'));
  });

  cmd('export', USAGE.export, 'The whole case as a file in your DMs: alerts, signals, artifacts, the log and its chain head', async (input, ctx) => {
    const ref = caseArg(input.args, USAGE.export);
    const format = (input.args[1] ?? 'json').toLowerCase();
    if (format !== 'json' && format !== 'csv') throw new UserError(`Say \`json\` or \`csv\`. Usage: \`${USAGE.export}\``);
    await exportToAsker(input, ctx, ref, format);
  });

  cmd('help', USAGE.help, 'What /case can do', async (input, ctx) => {
    const lines = ctx
      .commands()
      .filter((c) => c.command === '/case')
      .map((c) => `• \`${c.usage}\`: ${escapeMrkdwn(c.description)}`);
    const backend = ctx.cases.backend ? `Cases are mirrored to *${escapeMrkdwn(ctx.cases.backend)}*.` : 'Cases are kept in taser (no case backend enabled).';
    await input.respond(
      [
        '*Cases*: open one from an alert card (*Create case*, *Add to case*) or with `/case new`.',
        ...lines,
        `Resolutions: ${CASE_RESOLUTIONS.map((r) => `\`${r}\``).join(', ')}. ${backend}`,
        'Who may do what comes from the config file: `cases.soc`, `cases.teams.<team>.members` / `leads`, `cases.admins`.',
      ].join('\n'),
    );
  });
}
