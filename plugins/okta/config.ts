// Settings under `plugins.okta`. The webhook source needs none; the System Log poller and the directory
// (Positron USER_INFO / USER_MANAGER) need the org URL and the name of the env variable holding an API token.
import { z } from 'zod';

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'the name of an environment variable holding the Okta API token, e.g. OKTA_API_TOKEN');

export const oktaConfigSchema = z
  .strictObject({
    /** e.g. https://example.okta.com (only the origin is used). */
    orgUrl: z.url().optional(),
    tokenEnv: envName.optional(),
    /** Answer USER_INFO and USER_MANAGER from the Okta Users API (when orgUrl and tokenEnv are set). */
    directory: z.boolean().default(true),
    /** Poll the System Log API; absent = webhook (Event Hook) only. */
    poll: z
      .strictObject({
        every: z.string().min(1).default('1 minute'),
        limit: z.number().int().min(1).max(1000).default(100),
        /** The first poll (no cursor yet) starts this far back. */
        lookbackMinutes: z.number().int().positive().default(60),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (Boolean(config.orgUrl) !== Boolean(config.tokenEnv)) {
      ctx.addIssue({ code: 'custom', path: [config.orgUrl ? 'tokenEnv' : 'orgUrl'], message: 'orgUrl and tokenEnv go together: the Okta API needs both' });
    }
    if (config.poll && !(config.orgUrl && config.tokenEnv)) {
      ctx.addIssue({ code: 'custom', path: ['poll'], message: 'polling the System Log needs orgUrl and tokenEnv' });
    }
  });

export type OktaConfig = z.output<typeof oktaConfigSchema>;
