// What POST /api/v1/positron/{query} reads and answers, as zod schemas (docs/positron-api.md says it in words).
// The answer schema documents PositronResult (./api.ts) and is checked by the tests, not at run time.
import { z } from 'zod';

export const positronParams = z.strictObject({
  query: z.string().min(1).meta({ description: 'a standard query: IP_TO_HOSTNAME, HOSTNAME_TO_IP, USER_INFO, USER_MANAGER, ONCALL_FOR_TEAM, DOMAIN_INFO, HASH_REPUTATION (docs/positron-api.md)' }),
});

export const positronBody = z.union([
  z.strictObject({ args: z.array(z.string()).meta({ description: 'the command-line arguments, as in `/positron QUERY ARGS`' }) }),
  z.record(z.string(), z.unknown()).meta({ description: 'the query\'s input, e.g. `{"ip": "10.1.2.3"}` for IP_TO_HOSTNAME' }),
]);

const answerSchema = z.strictObject({
  key: z.string(),
  value: z.unknown().meta({ description: "the answer, in the query's output shape (from the highest-weighted source)" }),
  summary: z.string(),
  agreement: z.number().meta({ description: 'how many providers gave this answer' }),
  weight: z.number(),
  freshest: z.string().optional(),
  sources: z.array(z.strictObject({ provider: z.string(), confidence: z.number(), priority: z.number(), observedAt: z.string().optional() })),
});

export const positronResultSchema = z.strictObject({
  query: z.string(),
  input: z.unknown().meta({ description: "the input as the query read it" }),
  top: answerSchema.optional().meta({ description: 'absent when no provider answered' }),
  alternatives: z.array(answerSchema),
  providers: z.array(z.strictObject({ provider: z.string(), status: z.enum(['answered', 'empty', 'failed', 'timeout']), ms: z.number(), error: z.string().optional() })),
  cached: z.boolean(),
  at: z.string().meta({ format: 'date-time' }),
});
