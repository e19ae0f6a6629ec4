// Settings under `plugins.pagerduty`. A team is named by the escalation policies and/or schedules whose
// on-calls answer for it; a bare id or list of ids is shorthand for escalation policies.
import { z } from 'zod';
import { DEFAULT_API_URL, DEFAULT_EVENTS_URL } from './client.js';
import { own } from '../../src/app/own.js';

const pagerDutyId = z.string().regex(/^[A-Z0-9]{2,20}$/, 'must be a PagerDuty id such as PABC123');
const ids = z.array(pagerDutyId);

const teamObject = z
  .strictObject({ escalationPolicyIds: ids.default([]), scheduleIds: ids.default([]) })
  .refine((t) => t.escalationPolicyIds.length + t.scheduleIds.length > 0, 'needs at least one escalation policy or schedule id');

const team = z.union([
  pagerDutyId.transform((id) => ({ escalationPolicyIds: [id], scheduleIds: [] as string[] })),
  ids.min(1).transform((list) => ({ escalationPolicyIds: list, scheduleIds: [] as string[] })),
  teamObject,
]);

export const pagerDutyConfig = z.strictObject({
  /** REST API base URL (EU accounts and tests change it). */
  apiUrl: z.url().default(DEFAULT_API_URL),
  /** Events API base URL, for the pager. */
  eventsUrl: z.url().default(DEFAULT_EVENTS_URL),
  /**
   * The env variable holding the Events API v2 integration (routing) key. Set: this plugin is the pager of
   * confirmation flows (on-call pages for critical alerts, resolved when the case closes).
   */
  routingKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
  /** The env variable holding the REST API key. */
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').default('PAGERDUTY_TOKEN'),
  /** Team name (as asked, case-insensitive) -> where its on-calls are. */
  teams: z.record(z.string().min(1), team).default({}),
});
export type PagerDutyConfig = z.output<typeof pagerDutyConfig>;
export type TeamTargets = PagerDutyConfig['teams'][string];

/** The team's targets by case-insensitive name, or undefined for a team this plugin does not know. */
export function findTeam(config: PagerDutyConfig, name: string): TeamTargets | undefined {
  const wanted = name.trim().toLowerCase();
  const key = Object.keys(config.teams).find((k) => k.trim().toLowerCase() === wanted);
  return own(config.teams, key);
}
