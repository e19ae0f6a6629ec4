// Who may act on an alert: members of its team's ACL group (config `teams.<team>.group`, else `defaultGroup`).
// Every attempt is audited: a log line with an `audit` field and a record in the plugin's `audit` collection.
import type { PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { actorGroup, type AlertsConfig } from './config.js';

export interface AuditDoc {
  at: Date;
  user: string;
  action: string;
  alert?: string;
  team?: string;
  outcome: 'allowed' | 'denied';
  reason?: string;
}

export const audit = (ctx: PluginContext<AlertsConfig>) => ctx.collection<AuditDoc>('audit');

/** Null when allowed; otherwise the refusal to show the user (the refusal is already logged and recorded). */
export async function refuseUnlessAllowed(ctx: PluginContext<AlertsConfig>, userId: string, action: string, alert: StoredAlert): Promise<string | null> {
  const group = actorGroup(ctx.config, alert.team);
  const allowed = group !== undefined && (await ctx.access.isMember(userId, [group]));
  await audit(ctx).insertOne({ at: new Date(), user: userId, action, alert: alert._id, ...(alert.team ? { team: alert.team } : {}), outcome: allowed ? 'allowed' : 'denied' });
  if (allowed) return null;
  ctx.logger.warn({ audit: 'acl_denied', user: userId, action, alert: alert._id, team: alert.team, group }, 'alert action refused by ACL');
  return group
    ? `Only members of \`${group}\` may ${action} alerts of team ${alert.team ?? '(none)'}. Nothing was changed.`
    : `Nobody may ${action} alerts of team ${alert.team ?? '(none)'} yet: an admin must set \`plugins.alerts.teams.<team>.group\` or \`defaultGroup\`. Nothing was changed.`;
}
