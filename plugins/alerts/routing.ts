// Where an alert's card goes, and whether it goes at all: the team's channel (config `channels.teams`), else
// `channels.default`; not below the team's threshold, not while its rule and group are snoozed.
import type { PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { severityRank } from '../../src/signals/signal.js';
import type { AlertsConfig } from './config.js';
import { thresholdsFor } from './thresholds.js';
import { snoozedAmong, snoozeKey } from './snoozes.js';
import { own } from '../../src/app/own.js';

export type RouteDecision =
  | { post: true; channel: string }
  | { post: false; reason: 'below_threshold' | 'snoozed' | 'no_channel'; detail: string };

export function channelFor(channels: PluginContext<unknown>['channels'], team: string | undefined): string | undefined {
  return own(channels.teams, team) ?? channels.default;
}

/** Where each alert's card goes; a burst of new alerts costs one threshold read and one snooze read, by _id. */
export async function routeAll(ctx: PluginContext<AlertsConfig>, alerts: StoredAlert[], now = new Date()): Promise<RouteDecision[]> {
  const thresholdOf = await thresholdsFor(ctx, alerts.map((a) => a.team));
  const above = alerts.map((a) => severityRank(a.severity) >= severityRank(thresholdOf(a.team)));
  const snoozed = await snoozedAmong(ctx, alerts.filter((_, i) => above[i]).map((a) => snoozeKey(a.ruleId, a.group)), now);
  return alerts.map((alert, i): RouteDecision => {
    if (!above[i]) {
      return { post: false, reason: 'below_threshold', detail: `${alert.severity} is below ${alert.team ?? 'the default'} threshold ${thresholdOf(alert.team)}` };
    }
    const until = snoozed.get(snoozeKey(alert.ruleId, alert.group));
    if (until) return { post: false, reason: 'snoozed', detail: `rule ${alert.ruleId} is snoozed for this group until ${until.toISOString()}` };
    const channel = channelFor(ctx.channels, alert.team);
    if (!channel) {
      return { post: false, reason: 'no_channel', detail: `no channel for team ${alert.team ?? '(none)'}: set channels.teams.<team> or channels.default` };
    }
    return { post: true, channel };
  });
}
