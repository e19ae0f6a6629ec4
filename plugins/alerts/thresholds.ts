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

export async function setThreshold(ctx: PluginContext<AlertsConfig>, team: string, severity: Severity, by: string): Promise<void> {
  await thresholds(ctx).updateOne({ _id: team }, { $set: { severity, by, at: new Date() } }, { upsert: true });
}
