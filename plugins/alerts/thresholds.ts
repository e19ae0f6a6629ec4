// Team severity thresholds set with `/taser threshold`, persisted so every replica (and a restart) sees them.
// A persisted threshold wins over the config file's, which wins over `defaultThreshold`.
import type { PluginContext } from '../../src/plugins/types.js';
import type { Severity } from '../../src/signals/signal.js';
import { configuredThreshold, type AlertsConfig } from './config.js';

export interface ThresholdDoc {
  _id: string; // team
  severity: Severity;
  by: string;
  at: Date;
}

export const thresholds = (ctx: PluginContext<AlertsConfig>) => ctx.collection<ThresholdDoc>('thresholds');

export async function thresholdFor(ctx: PluginContext<AlertsConfig>, team: string | undefined): Promise<Severity> {
  const stored = team ? await thresholds(ctx).findOne({ _id: team }) : null;
  return stored?.severity ?? configuredThreshold(ctx.config, team);
}

/** thresholdFor of several teams in one read by _id; a team absent from the map has none set (undefined team included). */
export async function thresholdsFor(ctx: PluginContext<AlertsConfig>, teams: (string | undefined)[]): Promise<(team: string | undefined) => Severity> {
  const named = [...new Set(teams.filter((t): t is string => t !== undefined))];
  const stored = named.length ? await thresholds(ctx).find({ _id: { $in: named } }).toArray() : [];
  const byTeam = new Map(stored.map((d) => [d._id, d.severity]));
  return (team) => (team !== undefined ? byTeam.get(team) : undefined) ?? configuredThreshold(ctx.config, team);
}

export async function setThreshold(ctx: PluginContext<AlertsConfig>, team: string, severity: Severity, by: string): Promise<void> {
  await thresholds(ctx).updateOne({ _id: team }, { $set: { severity, by, at: new Date() } }, { upsert: true });
}
