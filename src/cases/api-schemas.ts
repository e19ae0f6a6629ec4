// What the /api/v1/cases routes read and answer, as zod schemas: the request schemas are the case model's own
// (./model.ts); the answer schemas document ./present.ts and are checked by the tests, not at run time.
import { z } from 'zod';
import { artifact, page, prev, time } from '../correlation/api-schemas.js';
import { alertIdSchema, CASE_RESOLUTIONS, CASE_SEVERITIES, CASE_STATUSES, SYNC_STATES } from './model.js';

export const caseQuery = z.strictObject({
  status: z.enum(CASE_STATUSES).optional(),
  team: z.string().min(1).transform((t) => t.toLowerCase()).optional(),
  assignee: z.string().min(1).optional(),
  severity: z.enum(CASE_SEVERITIES).optional(),
  artifact: artifact.optional(),
  since: time.optional(),
  until: time.optional(),
  ...page,
});

export const caseRefParams = z.strictObject({
  ref: z
    .string()
    .regex(/^(#?\d{1,9}|[0-9a-f]{24})$/, 'a case number (12 or #12) or id (24 hex characters)')
    .meta({ description: 'the case id (24 hex characters) or its number (`12` or `#12`)' }),
});

export const addAlertBody = z.strictObject({ alertId: alertIdSchema });

const isoTime = z.string().meta({ format: 'date-time' });

export const caseBackendJsonSchema = z.strictObject({
  name: z.string().meta({ description: 'the case backend plugin, or `taser` when none is enabled' }),
  id: z.string().optional(),
  url: z.string().optional(),
  number: z.number().int().optional(),
  sync: z.enum(SYNC_STATES),
  lastError: z.string().optional(),
  failedAt: isoTime.optional(),
  attempts: z.number().int().optional(),
  nextAttemptAt: isoTime.optional(),
});

export const caseSummaryJsonSchema = z.strictObject({
  id: z.string(),
  number: z.number().int(),
  title: z.string(),
  severity: z.enum(CASE_SEVERITIES),
  status: z.enum(CASE_STATUSES),
  team: z.string().optional(),
  assignee: z.string().optional(),
  alertCount: z.number().int(),
  observableCount: z.number().int(),
  createdAt: isoTime,
  link: z.string().optional(),
  backend: caseBackendJsonSchema,
});

export const caseJsonSchema = caseSummaryJsonSchema.extend({
  description: z.string(),
  tags: z.array(z.string()),
  alertIds: z.array(z.string()),
  observables: z.array(z.strictObject({ field: z.string(), value: z.string(), alertIds: z.array(z.string()).optional(), addedAt: isoTime, addedBy: z.string() })),
  createdBy: z.string(),
  updatedAt: isoTime,
  resolution: z.enum(CASE_RESOLUTIONS).optional(),
  summary: z.string().optional(),
  closedAt: isoTime.optional(),
  closedBy: z.string().optional(),
  log: z
    .strictObject({ entries: z.number().int(), head: z.string().nullable() })
    .meta({ description: 'the case log: its length and hash-chain head as of the last change (GET .../verify recomputes them; docs/case-log.md)' }),
});

export const caseListSchema = z.strictObject({ cases: z.array(caseSummaryJsonSchema), next: z.string().optional(), prev });
