// Settings of the alert-card plugin (`plugins.alerts`): who may act on each team's alerts, each team's severity
// threshold, and how deliveries are paced and retried. Channels come from the core `channels` section.
import { z } from 'zod';
import { severitySchema, type Severity } from '../../src/signals/signal.js';
import { own } from '../../src/app/own.js';

const groupName = z.string().regex(/^[a-z0-9_-]+$/, 'an ACL group name from the config file `groups`');

export const teamSchema = z.strictObject({
  /** ACL group whose members may acknowledge, snooze and close this team's alerts. */
  group: groupName,
  /** ACL group whose members may change this team's threshold with `/taser threshold`. */
  leads: groupName.optional(),
  /** Alerts below this severity are stored and searchable but not posted. */
  threshold: severitySchema.optional(),
});

export const configSchema = z.strictObject({
  /** Per team (as in StoredAlert.team, lower-case): ACL groups and threshold. */
  teams: z.record(z.string().regex(/^[a-z0-9_.-]+$/, 'a lower-case team name'), teamSchema).default({}),
  /** ACL group for alerts whose team has no entry above (or no team). Absent: nobody may act on them. */
  defaultGroup: groupName.optional(),
  defaultThreshold: severitySchema.default('info'),
  /** At most one chat.update per card per interval: a burst of appended signals becomes one update. */
  updateIntervalSeconds: z.number().min(0).max(3600).default(30),
  /** Attempts (5xx, network errors) before a card is marked failed. Slack's 429 does not count. */
  maxAttempts: z.number().int().min(1).max(50).default(8),
  /** First retry delay; each further attempt doubles it, up to five minutes. */
  retryBaseSeconds: z.number().positive().max(300).default(5),
  /** How often a sweep picks up deliveries whose job was lost (a crash between store and schedule). */
  sweepEvery: z.string().default('1 minute'),
});

export type AlertsConfig = z.output<typeof configSchema>;
export type TeamConfig = z.output<typeof teamSchema>;

export function teamConfig(config: AlertsConfig, team: string | undefined): TeamConfig | undefined {
  return own(config.teams, team);
}

/** The ACL group allowed to act on a team's alerts, or undefined when nobody is. */
export function actorGroup(config: AlertsConfig, team: string | undefined): string | undefined {
  return teamConfig(config, team)?.group ?? config.defaultGroup;
}

export function configuredThreshold(config: AlertsConfig, team: string | undefined): Severity {
  return teamConfig(config, team)?.threshold ?? config.defaultThreshold;
}
