// The search page's query string, which is also its permalink: every filter is a parameter, validated here
// (400 with the field's problem next to it on the page). Times are ISO-8601, a browser's datetime-local value
// (read as UTC), or a duration back from now ("24h", "7d").
import { z } from 'zod';
import { ALERT_STATUSES } from '../correlation/alert-store.js';
import { artifact } from '../correlation/http-routes.js';
import { parseDuration } from '../correlation/duration.js';
import { CASE_STATUSES } from '../cases/model.js';
import { parseEventTime, SEVERITIES } from '../signals/signal.js';
import { cursorSchema } from '../store/keyset.js';

export const SEARCH_KINDS = ['alerts', 'signals', 'cases'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

/** A time: ISO-8601 (a zone-less datetime-local is UTC) or "7d" meaning that long before now. */
export function parseSearchTime(value: string, now: number): Date | undefined {
  if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(value)) {
    const ms = parseDuration(value);
    return typeof ms === 'number' ? new Date(now - ms) : undefined;
  }
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = parseEventTime(zoned);
  return ms === undefined ? undefined : new Date(ms);
}

const searchTime = z.string().max(40).refine((v) => parseSearchTime(v, Date.now()) !== undefined, 'a time such as 2026-11-24T08:00Z, 2026-11-24, or a duration back from now: 24h, 7d');

export const searchQuerySchema = z
  .strictObject({
    kind: opt(z.enum(SEARCH_KINDS)).default('alerts'),
    since: opt(searchTime),
    until: opt(searchTime),
    source: opt(z.string().max(100)),
    type: opt(z.string().max(200)),
    rule: opt(z.string().max(200)),
    team: opt(z.string().max(100).transform((t) => t.toLowerCase())),
    status: opt(z.enum([...new Set([...ALERT_STATUSES, ...CASE_STATUSES])] as [string, ...string[]])),
    severity: opt(z.enum(SEVERITIES)),
    /** The artifact value; `field` narrows it to one artifact field (empty: any field). */
    artifact: opt(z.string().max(500)),
    field: opt(z.string().max(100).regex(/^[A-Za-z0-9_.-]+$/, 'an artifact field name such as user or src_ip')),
    limit: opt(z.coerce.number().int().min(10).max(500)).default(50),
    cursor: opt(cursorSchema),
    /** Paging back: the `prev` of the page shown (store/keyset.ts). */
    before: opt(cursorSchema),
  })
  .superRefine((q, ctx) => {
    if (q.status && q.kind === 'cases' && !(CASE_STATUSES as readonly string[]).includes(q.status)) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: `a case is ${CASE_STATUSES.join(' or ')}` });
    }
    if (q.status && q.kind === 'alerts' && !(ALERT_STATUSES as readonly string[]).includes(q.status)) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: `an alert is ${ALERT_STATUSES.join(', ')}` });
    }
    if (q.kind === 'cases' && q.severity === 'info') ctx.addIssue({ code: 'custom', path: ['severity'], message: 'cases start at low' });
    if (q.field && !q.artifact) ctx.addIssue({ code: 'custom', path: ['artifact'], message: 'give a value to look for in that field' });
    if (q.cursor && q.before) ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'a page is after `cursor` or before `before`, not both' });
  });
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export interface ResolvedSearch {
  query: SearchQuery;
  since?: Date;
  until?: Date;
  /** Normalized `field=value` or bare value, as stored in artifactValues / artifacts. */
  artifact?: string;
}

export type ParsedSearch = { ok: true; search: ResolvedSearch } | { ok: false; errors: Record<string, string>; raw: Record<string, string> };

export function parseSearch(params: URLSearchParams, now = Date.now()): ParsedSearch {
  const raw = Object.fromEntries(params);
  const parsed = searchQuerySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error), raw };
  const q = parsed.data;
  let normalized: string | undefined;
  if (q.artifact) {
    const a = artifact.safeParse(q.field ? `${q.field}=${q.artifact}` : q.artifact);
    if (!a.success) return { ok: false, errors: { artifact: a.error.issues[0]?.message ?? 'not a value' }, raw };
    normalized = a.data;
  }
  return {
    ok: true,
    search: { query: q, since: q.since ? parseSearchTime(q.since, now) : undefined, until: q.until ? parseSearchTime(q.until, now) : undefined, artifact: normalized },
  };
}

function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? 'query');
    errors[key] ??= issue.code === 'unrecognized_keys' ? `unknown parameter(s): ${issue.keys.join(', ')}` : issue.message;
  }
  return errors;
}

/** The query string of a search (its permalink), with some parameters replaced or removed. */
export function searchHref(path: string, query: Record<string, unknown>, change: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...query, ...change })) {
    if (v === undefined || v === '' || v === null) continue;
    if (k === 'limit' && v === 50) continue;
    if (k === 'kind' && v === 'alerts') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * The same page from the HTTP API (/api/v1/alerts, /signals or /cases, which the console's session may call):
 * the JSON download. Times are resolved to ISO-8601 (a "7d" permalink moves with the clock; the download is
 * what was on screen), the artifact is sent normalized.
 */
export function apiHref(s: ResolvedSearch): string {
  const q = s.query;
  const params: Record<string, string | number | undefined> = {
    since: s.since?.toISOString(),
    until: s.until?.toISOString(),
    artifact: s.artifact,
    severity: q.severity,
    limit: q.limit,
    cursor: q.cursor,
    before: q.before,
  };
  if (q.kind === 'signals') Object.assign(params, { source: q.source, type: q.type });
  else Object.assign(params, { team: q.team, status: q.status, ...(q.kind === 'alerts' ? { rule: q.rule } : {}) });
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') out.set(k, String(v));
  return `/api/v1/${q.kind}?${out.toString()}`;
}
