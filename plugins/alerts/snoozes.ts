// Snoozes: (rule, group) -> until. While a snooze runs, new alerts for that rule and group are stored but not
// posted. Kept in MongoDB (no TTL index: FerretDB has none), an expired snooze simply no longer matches.
import type { PluginContext } from '../../src/plugins/types.js';
import type { AlertsConfig } from './config.js';

export interface SnoozeDoc {
  _id: string; // snoozeKey(ruleId, group)
  ruleId: string;
  group: Record<string, string>;
  until: Date;
  by: string;
  alertId: string;
  at: Date;
}

/** The group's values in field order, so {a,b} and {b,a} are one key. */
export function snoozeKey(ruleId: string, group: Record<string, string>): string {
  const fields = Object.keys(group).sort();
  return JSON.stringify([ruleId, ...fields.map((f) => [f, group[f]])]);
}

export const snoozes = (ctx: PluginContext<AlertsConfig>) => ctx.collection<SnoozeDoc>('snoozes');

/** The running snoozes among these keys (one read by _id for a whole burst of new alerts), key -> until. */
export async function snoozedAmong(ctx: PluginContext<AlertsConfig>, keys: string[], now = new Date()): Promise<Map<string, Date>> {
  if (!keys.length) return new Map();
  const docs = await snoozes(ctx).find({ _id: { $in: [...new Set(keys)] } }).toArray();
  return new Map(docs.filter((d) => d.until > now).map((d) => [d._id, d.until]));
}

export async function snooze(ctx: PluginContext<AlertsConfig>, doc: Omit<SnoozeDoc, '_id' | 'at'>): Promise<void> {
  await snoozes(ctx).updateOne({ _id: snoozeKey(doc.ruleId, doc.group) }, { $set: { ...doc, at: new Date() } }, { upsert: true });
}
