// Where an alert's card goes, and whether it goes at all: the team's channel (config `channels.teams`), else
// `channels.default`; not below the team's threshold, not while its rule and group are snoozed.
import type { PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { severityRank } from '../../src/signals/signal.js';
import type { AlertsConfig } from './config.js';
import { thresholdFor } from './thresholds.js';
import { snoozedUntil } from './snoozes.js';
import { own } from '../../src/app/own.js';

export type RouteDecision =
  | { post: true; channel: string }
  | { post: false; reason: 'below_threshold' | 'snoozed' | 'no_channel'; detail: string };

export function channelFor(channels: PluginContext<unknown>['channels'], team: string | undefined): string | undefined {
  return own(channels.teams, team) ?? channels.default;
}

export async function route(ctx: PluginContext<AlertsConfig>, alert: StoredAlert, now = new Date()): Promise<RouteDecision> {
  const threshold = await thresholdFor(ctx, alert.team);
  if (severityRank(alert.severity) < severityRank(threshold)) {
    return { post: false, reason: 'below_threshold', detail: `${alert.severity} is below ${alert.team ?? 'the default'} threshold ${threshold}` };
  }
  const until = await snoozedUntil(ctx, alert.ruleId, alert.group, now);
  if (until) return { post: false, reason: 'snoozed', detail: `rule ${alert.ruleId} is snoozed for this group until ${until.toISOString()}` };
  const channel = channelFor(ctx.channels, alert.team);
  if (!channel) {
    return { post: false, reason: 'no_channel', detail: `no channel for team ${alert.team ?? '(none)'}: set channels.teams.<team> or channels.default` };
  }
  return { post: true, channel };
}
