// Settings of taser's cases (config file section `cases`): who may do what, and how a case is linked when no
// backend gives it a link. The ACL is core config, not a plugin's, because Slack and the HTTP API check it alike.
import { z } from 'zod';

const groups = z.array(z.string().regex(/^[a-z0-9_-]+$/, 'an ACL group name from the config file `groups`')).default([]);

export const casesConfigSchema = z
  .strictObject({
    /** May create cases for any team (or none) and work on any case: add alerts, assign, edit. */
    soc: groups,
    /** May close and reopen any case, and retry a failed backend sync (`/case retry-sync`). */
    admins: groups,
    /** Per team (as in alert.team, lower-case): members create and work on the team's cases; leads also close them. */
    teams: z
      .record(
        z.string().regex(/^[a-z0-9_.-]+$/, 'a lower-case team name'),
        z.strictObject({ members: groups, leads: groups }),
      )
      .default({}),
    /** A link for a case without a backend link: `{number}` and `{id}` are replaced, e.g. https://soc.example.com/cases/{number}. */
    caseUrl: z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL, e.g. https://soc.example.com/cases/{number}').optional(),
    /** Backend sync: attempts for retryable failures before the sync is marked failed. */
    maxAttempts: z.number().int().min(1).max(100).default(12),
    /** First retry delay; doubled each attempt up to 10 minutes (a Retry-After from the backend wins). */
    retryBaseSeconds: z.number().positive().max(600).default(5),
    /** Case channels (Open channel, `/case channel N`): private by default or not, and how often to backfill. */
    channels: z
      .strictObject({
        private: z.boolean().default(false),
        /** How often every case channel is read back from Slack history to log what events missed. */
        backfillEvery: z.string().regex(/^\d+ (seconds?|minutes?|hours?)$/, 'e.g. "5 minutes"').default('5 minutes'),
      })
      .default({ private: false, backfillEvery: '5 minutes' }),
  })
  .default({ soc: [], admins: [], teams: {}, maxAttempts: 12, retryBaseSeconds: 5, channels: { private: false, backfillEvery: '5 minutes' } });

export type CasesConfig = z.output<typeof casesConfigSchema>;

/** Every ACL group the section names, for the start-up check that each is defined. */
export function casesGroupUses(config: CasesConfig): { g: string; by: string }[] {
  return [
    ...config.soc.map((g) => ({ g, by: 'cases.soc' })),
    ...config.admins.map((g) => ({ g, by: 'cases.admins' })),
    ...Object.entries(config.teams).flatMap(([team, t]) => [
      ...t.members.map((g) => ({ g, by: `cases.teams.${team}.members` })),
      ...t.leads.map((g) => ({ g, by: `cases.teams.${team}.leads` })),
    ]),
  ];
}
