// The zod schemas of the rules console's HTTP API (/api/v1/fields, /api/v1/rules writes, /api/v1/enrichment,
// /api/v1/simulations, /api/v1/rule-audit), exported for the OpenAPI generator beside the routes that use them.
import { z } from 'zod';
import { parseDuration } from '../correlation/duration.js';
import { time } from '../correlation/http-routes.js';

export { enrichmentBodySchema } from './enrichment-store.js';

const MAX_PERIOD_MS = 366 * 86_400_000;

/** A start time: an ISO time, or a duration back from now ("30d"). */
export const sinceSchema = z.string().min(1).transform((v, ctx) => {
  const d = parseDuration(v);
  if (typeof d === 'number') return new Date(Date.now() - d);
  const t = time.safeParse(v);
  if (t.success) return t.data;
  ctx.addIssue({ code: 'custom', message: 'an ISO-8601 time (2026-11-01T00:00:00Z) or a duration back from now (30d)' });
  return z.NEVER;
});

/** The checks of a period: since before until, at most 366 days. */
function checkPeriod(q: { since: Date; until?: Date }, ctx: z.RefinementCtx): void {
  const until = q.until ?? new Date();
  if (q.since > until) ctx.addIssue({ code: 'custom', path: ['since'], message: 'must be before until' });
  else if (until.getTime() - q.since.getTime() > MAX_PERIOD_MS) ctx.addIssue({ code: 'custom', path: ['since'], message: 'the period is at most 366 days' });
}

/** GET /api/v1/fields?since=30d&until=&top=10 */
export const fieldsQuerySchema = z
  .strictObject({ since: sinceSchema, until: time.optional(), top: z.coerce.number().int().min(1).max(100).default(10) })
  .superRefine(checkPeriod);

/** A rule definition as written in the config file: the structured form or the compact `expr` form. */
export const ruleDefinitionSchema = z.record(z.string(), z.unknown());

/** POST /api/v1/rules (create), PUT /api/v1/rules/{id} (edit: a new version), POST /api/v1/rules/validate */
export const ruleBodySchema = z.strictObject({
  definition: ruleDefinitionSchema,
  /** The version the edit started from: refused with 409 when someone saved another since. */
  baseVersion: z.number().int().min(1).optional(),
});

export const ruleIdParamsSchema = z.strictObject({ id: z.string().min(1).max(200) });

/** A validation problem, by field path (`parts.0.count`, `expr`, `(rule)` for the whole rule). */
export const issueSchema = z.object({ path: z.string(), message: z.string() });

/** POST /api/v1/simulations: a draft (`definition`) or a stored rule (`ruleId`) over a period. */
export const simulationBodySchema = z
  .strictObject({
    definition: ruleDefinitionSchema.optional(),
    ruleId: z.string().min(1).optional(),
    since: sinceSchema,
    until: time.optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.definition === undefined) === (b.ruleId === undefined)) ctx.addIssue({ code: 'custom', path: ['definition'], message: 'give either definition (a draft) or ruleId (a stored rule)' });
    checkPeriod(b, ctx);
  });

export const simulationParamsSchema = z.strictObject({ id: z.string().uuid('a simulation id as POST /api/v1/simulations returned it') });

/** GET /api/v1/rule-audit?subject=&limit= */
export const auditQuerySchema = z.strictObject({
  subject: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
