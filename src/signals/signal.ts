// The Signal: the one shape every source produces and the correlation engine consumes
// (shared/correlation/SEMANTICS.md, "Signal"). Parsed with zod at the edge; trusted inside.
import { z } from 'zod';
import { parseEventTime } from './event-time.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severitySchema = z.enum(SEVERITIES);

/** Rank of a severity, for "at least" comparisons and for raising an alert to its highest signal. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

// The time format is part of the contract: event-time.ts parses it (re-exported for the Signal's users).
export { eventTimeMicros, parseEventTime, parseEventTimeMicros } from './event-time.js';

const artifactScalar = z.union([z.string(), z.number().finite()]);
export const artifactValueSchema = z.union([artifactScalar, z.array(artifactScalar)]);
export type ArtifactValue = z.infer<typeof artifactValueSchema>;

export const signalSchema = z.looseObject({
  id: z.string().min(1, 'must be a non-empty string'),
  source: z.string().min(1, 'must be a non-empty string'),
  type: z.string().min(1, 'must be a non-empty string'),
  occurredAt: z
    .string()
    .refine((v) => parseEventTime(v) !== undefined, 'must be an ISO-8601 timestamp with an offset or Z'),
  severity: severitySchema.optional(),
  title: z.string().optional(),
  // Artifact names are stored as field names (signal.artifacts.<name>): refuse what the database cannot hold.
  artifacts: z
    .record(
      z
        .string()
        .regex(/^[^$.\0][^.\0]*$/, 'an artifact name must not be empty, contain "." or NUL, or start with "$"')
        .refine((k) => k !== '__proto__', 'an artifact name must not be "__proto__"'),
      artifactValueSchema,
    )
    .default({}),
  /** Free-form labels such as "Team:AppSec", used for routing. */
  tags: z.array(z.string()).optional(),
  /** A link to the event in the source tool, shown as "View details". */
  link: z.string().url().optional(),
  // Checked, not copied: a copy made by assignment would turn a "__proto__" key into a prototype and lose it.
  raw: z
    .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be a JSON object')
    .optional(),
});
export type Signal = z.infer<typeof signalSchema>;

/** Turns zod issues into "field: message" lines a person can act on. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    // A refused record key: zod says "Invalid key in record"; its own issue says why.
    const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    return `${path}: ${inner ?? issue.message}`;
  });
}
