// What the cases plugin says in Slack. Every reply names the case by its number, with its link.
import type { PluginContext, Reply } from '../../src/plugins/types.js';
import type { StoredCase } from '../../src/cases/model.js';
import { caseListLine, caseName, logText, syncText } from '../../src/cases/present.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import { truncateText } from '../../src/blocks/truncate.js';

const MAX_SECTION = 2900;
const SHOWN_OBSERVABLES = 15;

export const mention = (who: string | undefined) => (!who ? 'nobody' : /^[UW][A-Z0-9]+$/.test(who) ? `<@${who}>` : escapeMrkdwn(who));

export function nameOf(ctx: PluginContext<unknown>, c: StoredCase): string {
  return caseName(c, ctx.cases.link(c));
}

/** "<verb> Case #12: title" and the case's backend state, as one reply. */
export function changed(ctx: PluginContext<unknown>, c: StoredCase, verb: string, visible: 'ephemeral' | 'in_channel' = 'ephemeral'): Reply {
  const text = `${verb} ${nameOf(ctx, c)} (${escapeMrkdwn(syncText(c))}).`;
  return { text, response_type: visible };
}

/** The whole case, for `/case show N`. */
export function caseDetail(ctx: PluginContext<unknown>, c: StoredCase): Reply {
  const head = [
    `${nameOf(ctx, c)}`,
    `*${c.severity}* · ${c.status}${c.resolution ? ` (${c.resolution.replace('_', ' ')})` : ''}${c.team ? ` · team ${escapeMrkdwn(c.team)}` : ''} · assigned to ${mention(c.assignee)} · opened by ${mention(c.createdBy)} <!date^${Math.floor(c.createdAt.getTime() / 1000)}^{date_short_pretty} {time}|${c.createdAt.toISOString()}>`,
    `Backend: ${escapeMrkdwn(syncText(c))}${c.backend.sync === 'failed' ? ' :warning:' : ''}`,
    `Case log: ${escapeMrkdwn(logText(c))} (\`/case export ${c.number}\` for all of it)`,
  ];
  const body = [
    c.description ? truncateText(escapeMrkdwn(c.description), 800) : '_No description._',
    `*Alerts (${c.alertIds.length})*: ${c.alertIds.slice(0, 10).map((a) => `\`${a}\``).join(', ') || 'none'}${c.alertIds.length > 10 ? ` and ${c.alertIds.length - 10} more` : ''}`,
    `*Observables (${c.observables.length})*: ${c.observables.slice(0, SHOWN_OBSERVABLES).map((o) => `\`${escapeMrkdwn(o.field)}=${escapeMrkdwn(truncateText(o.value, 80)).replace(/`/g, "'")}\``).join(' ') || 'none'}${c.observables.length > SHOWN_OBSERVABLES ? ` and ${c.observables.length - SHOWN_OBSERVABLES} more` : ''}`,
    ...(c.summary ? [`*Summary*: ${truncateText(escapeMrkdwn(c.summary), 600)}`] : []),
  ];
  const text = truncateText([...head, ...body].join('\n'), MAX_SECTION);
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function caseList(ctx: PluginContext<unknown>, title: string, cases: StoredCase[], more?: { actionId: string; value: string }): Reply {
  const lines = cases.map((c) => caseListLine(c, ctx.cases.link(c)));
  const text = truncateText([`*${escapeMrkdwn(title)}*`, ...(lines.length ? lines : ['No cases.'])].join('\n'), MAX_SECTION);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(more ? [{ type: 'actions' as const, elements: [{ type: 'button' as const, text: { type: 'plain_text' as const, text: 'Next page' }, action_id: more.actionId, value: more.value }] }] : []),
    ],
  };
}
