// The App Home tab and @-mentions: what taser does, the alerts the viewer has taken (acknowledged and not
// closed), the open cases assigned to them, how many alerts wait for someone, and where to get help; a mention is answered in its thread with the
// commands the person may run.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import type { CommandInfo, PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { homeView, mentionReply, type HomeAlert } from './view.js';

const configSchema = z.strictObject({
  /** A page with your deployment's own instructions (runbook, on-call), linked from the Home tab. */
  helpUrl: z.url().optional(),
});

const appHomeOpened = z.looseObject({ user: z.string(), tab: z.string().optional() });
const appMention = z.looseObject({ user: z.string().optional(), channel: z.string(), ts: z.string(), thread_ts: z.string().optional() });

/** How many alerts the tab lists in each section (a Home view holds at most 100 blocks). */
const LISTED = 10;

export default definePlugin({
  namespace: 'home',
  description: 'The App Home tab (what taser does, your alerts, help) and answers to @-mentions',
  config: configSchema,
  enabledByDefault: true,
  exampleConfig: { helpUrl: 'https://wiki.example.com/security/taser' },
  // app_mention brings app_mentions:read; the reply is a chat.postMessage; views.publish needs no scope.
  slack: { scopes: ['chat:write'], events: ['app_home_opened', 'app_mention'], homeTab: true },
  setup(plugin) {
    plugin.event({
      event: 'app_home_opened',
      async handler({ event }, ctx) {
        const parsed = appHomeOpened.safeParse(event);
        if (!parsed.success) return void ctx.logger.warn({ issues: parsed.error.issues }, 'app_home_opened without a user; ignored');
        if (parsed.data.tab !== undefined && parsed.data.tab !== 'home') return; // the Messages tab needs nothing
        const userId = parsed.data.user;
        const [acknowledged, open, cases] = await Promise.all([
          ctx.correlation.alerts.search({ status: 'acknowledged', limit: 200 }),
          ctx.correlation.alerts.search({ status: 'open', limit: LISTED + 1 }),
          ctx.cases.list({ status: 'open', assignee: userId, limit: LISTED }),
        ]);
        const mine = acknowledged.alerts
          .filter((a) => (a as typeof a & { acknowledged?: { by?: string } }).acknowledged?.by === userId)
          .slice(0, LISTED);
        const waiting = open.alerts.slice(0, LISTED);
        const commands = (await visible(ctx, userId)).map((c) => ({ usage: c.usage, description: c.description }));
        await ctx.slack.views.publish({
          user_id: userId,
          view: homeView({
            userId,
            cases: cases.cases.map((c) => ({ number: c.number, title: c.title, severity: c.severity, team: c.team, createdAt: c.createdAt, alerts: c.alertIds.length, link: ctx.cases.link(c) })),
            moreCases: cases.next !== undefined,
            mine: mine.map(toHomeAlert),
            waiting: waiting.map(toHomeAlert),
            moreWaiting: open.alerts.length > LISTED,
            commands,
            helpUrl: ctx.config.helpUrl,
          }),
        });
      },
    });

    plugin.event({
      event: 'app_mention',
      async handler({ event }, ctx) {
        const parsed = appMention.safeParse(event);
        if (!parsed.success) return void ctx.logger.warn({ issues: parsed.error.issues }, 'app_mention without a channel or ts; ignored');
        const { user, channel, ts, thread_ts } = parsed.data;
        const commands = user ? (await visible(ctx, user)).map((c) => c.usage) : [];
        await ctx.slack.chat.postMessage({ channel, thread_ts: thread_ts ?? ts, ...mentionReply({ userId: user, commands, helpUrl: ctx.config.helpUrl }) });
      },
    });
  },
});

/** The commands this person may run (ACL groups checked), as /taser help lists them. */
async function visible(ctx: PluginContext<unknown>, userId: string): Promise<CommandInfo[]> {
  const out: CommandInfo[] = [];
  for (const command of ctx.commands()) {
    if (!command.groups?.length || (await ctx.access.isMember(userId, command.groups))) out.push(command);
  }
  return out.sort((a, b) => a.usage.localeCompare(b.usage));
}

function toHomeAlert(a: StoredAlert): HomeAlert {
  return { title: a.ruleName ?? a.ruleId, severity: a.severity, team: a.team, firstSeen: a.firstSeen, signals: a.signalCount, link: a.link };
}
