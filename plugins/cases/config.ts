// Settings of the cases plugin (`plugins.cases`). Who may do what is core config (`cases.*`), shared with the
// HTTP API; these only shape the Slack side.
import { z } from 'zod';
import { caseSeveritySchema } from '../../src/cases/model.js';

export const configSchema = z.strictObject({
  /** Cases per page in `/case list`. */
  pageSize: z.number().int().min(1).max(50).default(10),
  /** Severity of a case opened with `/case new TITLE` (the form asks). */
  quickSeverity: caseSeveritySchema.default('medium'),
});

export type CasesPluginConfig = z.output<typeof configSchema>;
