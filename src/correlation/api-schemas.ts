// What the /api/v1 signal, alert and rule routes read and answer, as zod schemas: the routes validate requests
// with them and the OpenAPI document is made from them. The answer schemas are checked by the tests, not at run time.
import { z } from 'zod';
import { cursorSchema } from '../store/keyset.js';
import { parseEventTime, severitySchema, signalSchema } from '../signals/signal.js';
import { normalizeValue } from '../signals/normalize.js';
import { ALERT_STATUSES, type StoredAlert } from './alert-store.js';
import type { StoredRule } from './rule-store.js';

// ---------------------------------------------------------------- query parameters (shared by the list routes)

export const time = z
  .string()
  .refine((v) => parseEventTime(v) !== undefined, 'an ISO-8601 time with an offset or Z, e.g. 2026-11-24T00:00:00Z')
  .transform((v) => new Date(parseEventTime(v)!))
  .meta({ description: 'an ISO-8601 time with an offset or Z, e.g. 2026-11-24T00:00:00Z', format: 'date-time' });

/** `field=value` or a bare value, normalized the way stored artifacts are. */
export const artifact = z
  .string()
  .min(1)
  .transform((v, ctx) => {
    const eq = v.indexOf('=');
    const [field, value] = eq > 0 ? [v.slice(0, eq), v.slice(eq + 1)] : [undefined, v];
    const normalized = normalizeValue(value);
    if (normalized === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs a value: field=value or value' });
      return z.NEVER;
    }
    return field ? `${field}=${normalized}` : normalized;
  })
  .meta({ description: 'an artifact: `field=value` (e.g. `user=alice`) or a bare value in any field' });

export const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50).meta({ description: 'results per page (1-500)' }),
  // Keyset paging (store/keyset.ts): an opaque, bounded token, checked before any query.
  cursor: cursorSchema.optional().meta({ description: 'the `next` value of the previous page' }),
  before: cursorSchema.optional().meta({ description: 'the `prev` value of the following page: the page before it (wins over `cursor`)' }),
};

const teamFilter = z.string().min(1).transform((t) => t.toLowerCase());

export const alertQuery = z.strictObject({
  rule: z.string().min(1).optional().meta({ description: 'a rule id' }),
  status: z.enum(ALERT_STATUSES).optional(),
  team: teamFilter.optional(),
  severity: severitySchema.optional(),
  since: time.optional(),
  until: time.optional(),
  artifact: artifact.optional(),
  ...page,
});

export const signalQuery = z.strictObject({
  artifact: artifact.optional(),
  type: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  severity: severitySchema.optional(),
  since: time.optional(),
  until: time.optional(),
  ...page,
});

export const idParams = z.strictObject({ id: z.string().min(1) });

// ---------------------------------------------------------------- answers

const isoTime = z.string().meta({ format: 'date-time' });
const next = z.string().optional().meta({ description: 'the cursor of the following page; absent on the last one' });
/** A list's paging links: `next` as `cursor`, `prev` as `before`. */
export const prev = z.string().optional().meta({ description: 'the `before` of the page before this one; absent on the first one' });

export const alertJsonSchema = z.strictObject({
  id: z.string(),
  rule: z.string(),
  ruleVersion: z.number().int(),
  ruleName: z.string().optional(),
  group: z.record(z.string(), z.string()).meta({ description: "the normalized values of the rule's groupBy fields" }),
  severity: severitySchema,
  team: z.string().optional(),
  status: z.enum(ALERT_STATUSES),
  active: z.boolean().meta({ description: 'signals may still be appended (the episode is not over)' }),
  signals: z.array(z.string()).meta({ description: 'held signals as `source/id`, in event-time order' }),
  signalCount: z.number().int(),
  firstSeen: isoTime,
  lastSeen: isoTime,
  link: z.string().optional(),
  history: z.array(
    z.strictObject({
      at: isoTime,
      kind: z.enum(['created', 'appended', 'acknowledged', 'snoozed', 'closed', 'reopened', 'ended', 'confirmation']),
      by: z.string().optional(),
      signals: z.array(z.string()).optional(),
      note: z.string().optional(),
    }),
  ),
});
export type AlertJson = z.output<typeof alertJsonSchema>;

export const alertListSchema = z.strictObject({ alerts: z.array(alertJsonSchema), next, prev });
export const signalListSchema = z.strictObject({ signals: z.array(signalSchema), next, prev });

export const ruleJsonSchema = z.strictObject({
  id: z.string(),
  version: z.number().int(),
  enabled: z.boolean(),
  updatedAt: isoTime,
  updatedBy: z.string().meta({ description: 'who switched it last: `config` at load, `api:<key>` or a Slack user id' }),
  definition: z.record(z.string(), z.unknown()).meta({ description: 'the rule as written in the config file (docs/rules.md)' }),
});
export type RuleJson = z.output<typeof ruleJsonSchema>;
export const ruleListSchema = z.strictObject({ rules: z.array(ruleJsonSchema) });

export function alertJson(a: StoredAlert): AlertJson {
  return {
    id: a._id,
    rule: a.ruleId,
    ruleVersion: a.ruleVersion,
    ruleName: a.ruleName,
    group: a.group,
    severity: a.severity,
    team: a.team,
    status: a.status,
    active: a.active,
    signals: a.signals,
    signalCount: a.signalCount,
    firstSeen: a.firstSeen.toISOString(),
    lastSeen: a.lastSeen.toISOString(),
    link: a.link,
    history: a.history.map((h) => ({ ...h, at: h.at.toISOString() })),
  };
}

export function ruleJson(r: StoredRule): RuleJson {
  return { id: r._id, version: r.version, enabled: r.enabled, updatedAt: r.updatedAt.toISOString(), updatedBy: r.updatedBy, definition: r.definition };
}
