// `/taser threshold <team> <severity>` (the team's leads; persisted) and `/taser alerts [status] [team]
// [since]` (an ephemeral list with links to the cards, including cards whose delivery failed).
import type { PluginContext, PluginRegistrar } from '../../src/plugins/types.js';
import { UserError } from '../../src/app/errors.js';
import { ALERT_STATUSES, type AlertStatus, type StoredAlert } from '../../src/correlation/alert-store.js';
import { parseDuration } from '../../src/correlation/duration.js';
import { escapeMrkdwn, mrkdwnLink } from '../../src/blocks/escape.js';
import { truncateText } from '../../src/blocks/truncate.js';
import { SEVERITIES, type Severity } from '../../src/signals/signal.js';
import type { AlertsConfig } from './config.js';
import { audit } from './acl.js';
import { setThreshold, thresholdFor } from './thresholds.js';
import { deliveries, permalink, type DeliveryDoc } from './deliveries.js';
import { own } from '../../src/app/own.js';

type Ctx = PluginContext<AlertsConfig>;
const THRESHOLD_USAGE = '/taser threshold <team> <severity>';
const ALERTS_USAGE = '/taser alerts [status] [team] [since]';
const LIST_LIMIT = 20;
const MAX_TEXT = 2900;

export interface AlertsFilter {
  status?: AlertStatus;
  failed?: boolean;
  team?: string;
  since?: Date;
}

/** Parses `[status] [team] [since]` in any order: a status word, a duration ("24h") or date, else a team. */
export function parseAlertsArgs(args: string[], now = new Date()): AlertsFilter {
  const filter: AlertsFilter = {};
  for (const raw of args) {
    const arg = raw.toLowerCase();
    if ((ALERT_STATUSES as readonly string[]).includes(arg)) filter.status = arg as AlertStatus;
    else if (arg === 'failed') filter.failed = true;
    else if (/^\d/.test(arg)) {
      const ms = parseDuration(arg);
      const date = typeof ms === 'number' ? new Date(now.getTime() - ms) : new Date(raw);
      if (Number.isNaN(date.getTime())) throw new UserError(`\`${raw}\` is neither a duration (24h, 7d) nor a date (2026-01-31). Usage: \`${ALERTS_USAGE}\``);
      filter.since = date;
    } else if (/^[a-z0-9_.-]+$/.test(arg)) filter.team = arg;
    else throw new UserError(`\`${raw}\` is not a status (${ALERT_STATUSES.join(', ')}, failed), a team, or a time. Usage: \`${ALERTS_USAGE}\``);
  }
  return filter;
}

function cardState(d: DeliveryDoc | undefined): string {
  if (!d) return 'no card';
  switch (d.status) {
    case 'posted':
      return d.dirty ? 'card update pending' : 'card posted';
    case 'pending':
      return d.attempts ? `card pending (attempt ${d.attempts + 1}: ${d.lastError ?? ''})` : 'card pending';
    case 'failed':
      return `:warning: card delivery failed: ${d.lastError ?? 'unknown error'}`;
    case 'suppressed':
      return `not posted: ${d.suppressed?.detail ?? 'suppressed'}`;
  }
}

function alertLine(alert: StoredAlert, d: DeliveryDoc | undefined): string {
  const title = truncateText(alert.ruleName ?? alert.ruleId, 80);
  const link = d ? permalink(d) : undefined;
  const group = Object.entries(alert.group).map(([k, v]) => `${k}=${v}`).join(' ');
  return (
    `• ${link ? mrkdwnLink(link, title) : `*${escapeMrkdwn(title)}*`} ${escapeMrkdwn(truncateText(group, 120))} · ${alert.severity} · ${alert.status}` +
    ` · ${alert.signalCount} signal${alert.signalCount === 1 ? '' : 's'} · ${alert.team ? `team ${escapeMrkdwn(alert.team)} · ` : ''}${escapeMrkdwn(cardState(d))}`
  );
}

async function listAlerts(ctx: Ctx, filter: AlertsFilter): Promise<string> {
  let alerts: StoredAlert[];
  if (filter.failed) {
    const failed = await deliveries(ctx).find({ status: 'failed' }).sort({ updatedAt: -1 }).limit(200).toArray();
    const found = await ctx.correlation.alerts.collection.find({ _id: { $in: failed.map((f) => f._id) } }).toArray();
    alerts = found
      .filter((a) => (!filter.status || a.status === filter.status) && (!filter.team || a.team === filter.team) && (!filter.since || a.lastSeen >= filter.since))
      .sort((a, b) => b.firstSeen.getTime() - a.firstSeen.getTime())
      .slice(0, LIST_LIMIT);
  } else {
    ({ alerts } = await ctx.correlation.alerts.search({ status: filter.status, team: filter.team, since: filter.since, limit: LIST_LIMIT }));
  }
  if (!alerts.length) return 'No alerts match.';
  const cards = new Map((await deliveries(ctx).find({ _id: { $in: alerts.map((a) => a._id) } }).toArray()).map((d) => [d._id, d]));
  const lines: string[] = [];
  let length = 0;
  for (const alert of alerts) {
    const line = alertLine(alert, cards.get(alert._id));
    if (length + line.length + 1 > MAX_TEXT) {
      lines.push(`… and ${alerts.length - lines.length} more: narrow the search.`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

export function registerCommands(plugin: PluginRegistrar<AlertsConfig>): void {
  plugin.command({
    command: '/taser',
    subcommand: 'threshold',
    usage: THRESHOLD_USAGE,
    description: "Sets the lowest severity posted to a team's channel (the team's leads only); lower alerts are only stored.",
    async handler({ args, user, respond }, ctx) {
      const [teamArg, severityArg] = args;
      if (!teamArg) throw new UserError(`Usage: \`${THRESHOLD_USAGE}\`, severity one of ${SEVERITIES.join(', ')}.`);
      const team = teamArg.toLowerCase();
      if (!severityArg) return respond(`Team ${escapeMrkdwn(team)} threshold: ${await thresholdFor(ctx, team)}.`);
      const severity = severityArg.toLowerCase() as Severity;
      if (!SEVERITIES.includes(severity)) throw new UserError(`\`${severityArg}\` is not a severity: use one of ${SEVERITIES.join(', ')}.`);
      const leads = own(ctx.config.teams, team)?.leads;
      const allowed = leads !== undefined && (await ctx.access.isMember(user.id, [leads]));
      await audit(ctx).insertOne({ at: new Date(), user: user.id, action: 'threshold', team, outcome: allowed ? 'allowed' : 'denied', reason: severity });
      if (!allowed) {
        ctx.logger.warn({ audit: 'acl_denied', user: user.id, action: 'threshold', team, group: leads }, 'threshold change refused by ACL');
        return respond(
          leads
            ? `Only members of \`${leads}\` may change team ${escapeMrkdwn(team)}'s threshold. Nothing was changed.`
            : `Team ${escapeMrkdwn(team)} has no leads group (\`plugins.alerts.teams.${escapeMrkdwn(team)}.leads\`), so its threshold cannot be changed from Slack.`,
        );
      }
      await setThreshold(ctx, team, severity, user.id);
      ctx.logger.info({ audit: 'threshold_set', user: user.id, team, severity }, 'team threshold changed');
      await respond(`Team ${escapeMrkdwn(team)} now gets cards for ${severity} alerts and above. Lower ones are stored and searchable.`);
    },
  });

  plugin.command({
    command: '/taser',
    subcommand: 'alerts',
    usage: ALERTS_USAGE,
    description: 'Lists recent alerts with links to their cards; `failed` lists cards that could not be delivered. E.g. `/taser alerts open appsec 24h`.',
    async handler({ args, respond }, ctx) {
      const filter = parseAlertsArgs(args);
      await respond(await listAlerts(ctx, filter));
    },
  });
}
