// Settings of confirmation flows (config file section `confirmations`): the option a flow started by hand
// uses (a rule's `confirm:` has its own), and how the page outbox retries.
import { z } from 'zod';
import { confirmOptionSchema } from './model.js';

export const confirmationsConfigSchema = z
  .strictObject({
    /** Timeouts, onYes, business hours, paging of flows started by hand (`/case confirm`, the API, Ask user). */
    defaults: z.record(z.string(), z.unknown()).default({}).superRefine((value, ctx) => {
      const parsed = confirmOptionSchema.safeParse(value);
      if (!parsed.success) for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }),
    /** Page outbox: attempts before a page is marked failed, first back-off (doubled each time) and its cap. */
    pageRetry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(100).default(20),
        firstDelayMs: z.number().int().min(10).max(600_000).default(5_000),
        maxDelayMs: z.number().int().min(10).max(3_600_000).default(600_000),
      })
      .default({ maxAttempts: 20, firstDelayMs: 5_000, maxDelayMs: 600_000 }),
  })
  .default({ defaults: {}, pageRetry: { maxAttempts: 20, firstDelayMs: 5_000, maxDelayMs: 600_000 } });

export type ConfirmationsConfig = z.output<typeof confirmationsConfigSchema>;
