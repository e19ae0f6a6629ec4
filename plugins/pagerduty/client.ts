// A small typed PagerDuty client (shared/contracts/EXTERNAL_APIS.md section 3): the REST API's GET /oncalls,
// paginated, and the Events API v2 trigger. Every response is parsed with zod; every failure is a
// PagerDutyError that says what PagerDuty answered and whether retrying later can help. Retries within a call
// are the core HTTP client's (ctx.http): GETs, and a trigger that carries a dedup_key.
import { z } from 'zod';
import type { HttpClient, HttpRequestOptions, HttpResponse } from '../../src/plugins/types.js';

export const DEFAULT_API_URL = 'https://api.pagerduty.com';
export const DEFAULT_EVENTS_URL = 'https://events.pagerduty.com';
const ACCEPT = 'application/vnd.pagerduty+json;version=2';
/** PagerDuty's maximum page size, and its limit on offset + limit (beyond it: 400). */
const MAX_PAGE = 100;
const MAX_WINDOW = 10_000;

export class PagerDutyError extends Error {
  override readonly name = 'PagerDutyError';
  constructor(
    message: string,
    /** The HTTP status, or undefined when no answer came (network error). */
    readonly status: number | undefined,
    /** 429 and 5xx: the same request may succeed later. */
    readonly retryable: boolean,
    /** PagerDuty's own error code (REST: 2001 invalid input, 2006 authentication failed, ...). */
    readonly code?: number,
    /** The detailed errors PagerDuty listed. */
    readonly errors: readonly string[] = [],
    /** A 429's Retry-After, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- REST: on-calls

const reference = z.looseObject({ id: z.string(), summary: z.string().nullish() });
// With include[]=users the user is a full user object (name, email); without, a reference (summary only).
const oncallUser = reference.extend({ name: z.string().nullish(), email: z.string().nullish() });

const oncallSchema = z.looseObject({
  user: oncallUser,
  schedule: reference.nullish(),
  escalation_policy: reference.nullish(),
  escalation_level: z.number().int(),
  start: z.string().nullish(),
  end: z.string().nullish(),
});
export type Oncall = z.infer<typeof oncallSchema>;

const oncallsPage = z.looseObject({
  oncalls: z.array(oncallSchema),
  limit: z.number().int().nullish(),
  offset: z.number().int().nullish(),
  more: z.boolean().nullish(),
});

const restErrorBody = z.looseObject({
  error: z.looseObject({ message: z.string().nullish(), code: z.number().nullish(), errors: z.array(z.string()).nullish() }),
});

export interface OncallFilter {
  escalationPolicyIds?: readonly string[];
  scheduleIds?: readonly string[];
  userIds?: readonly string[];
  /** Only the earliest on-call per (escalation policy, level, user). */
  earliest?: boolean;
  /** include[]=users: full user objects with name and e-mail. */
  includeUsers?: boolean;
}

export interface OncallList {
  oncalls: Oncall[];
  /** True when PagerDuty had more than its 10,000-item window allows reading. */
  truncated: boolean;
}

// ---------------------------------------------------------------- Events API v2: trigger

const link = z.strictObject({ href: z.url(), text: z.string().optional() });
const image = z.strictObject({ src: z.url(), href: z.url().optional(), alt: z.string().optional() });
export const triggerEventSchema = z.strictObject({
  routing_key: z.string().length(32, 'must be the 32-character integration key'),
  dedup_key: z.string().min(1).max(255).optional(),
  payload: z.strictObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.string().optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  client: z.string().optional(),
  client_url: z.url().optional(),
  links: z.array(link).optional(),
  images: z.array(image).optional(),
});
/** An Events API v2 trigger in PagerDuty's own field names; `event_action` is added by `trigger`. */
export type TriggerEvent = z.input<typeof triggerEventSchema>;

const resolveEventSchema = z.strictObject({
  routing_key: z.string().length(32, 'must be the 32-character integration key'),
  dedup_key: z.string().min(1).max(255),
});

const eventAccepted = z.looseObject({ status: z.string(), message: z.string().nullish(), dedup_key: z.string() });
const eventRejected = z.looseObject({ status: z.string().nullish(), message: z.string().nullish(), errors: z.array(z.string()).nullish() });

export interface TriggerResult {
  /** PagerDuty's key for the alert: resolve or acknowledge it with this. */
  dedupKey: string;
  message?: string;
}

// ---------------------------------------------------------------- the client

export interface PagerDutyClientOptions {
  /** The core's outbound client (ctx.http). */
  http: HttpClient;
  /** REST API base URL; default https://api.pagerduty.com. */
  apiUrl?: string;
  /** Events API base URL; default https://events.pagerduty.com. */
  eventsUrl?: string;
  /** REST API key (not needed for the Events API, which authenticates by routing key). */
  token?: string;
  /** Page size for list calls, 1..100 (default 100). */
  pageSize?: number;
}

/** One line naming each wrong field: "payload.severity: Invalid option ...; routing_key: ...". */
const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');

const trimSlash = (url: string) => url.replace(/\/+$/, '');

function describeStatus(status: number): string {
  if (status === 401) return 'authentication failed: check the API key';
  if (status === 403) return 'forbidden: the API key may not read this';
  if (status === 404) return 'not found: check the ids in the configuration';
  if (status === 429) return 'rate limited: retry later';
  if (status >= 500) return 'PagerDuty server error';
  return 'request refused';
}

async function readJson(response: HttpResponse): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class PagerDutyClient {
  private readonly apiUrl: string;
  private readonly eventsUrl: string;
  private readonly pageSize: number;

  constructor(private readonly options: PagerDutyClientOptions) {
    this.apiUrl = trimSlash(options.apiUrl ?? DEFAULT_API_URL);
    this.eventsUrl = trimSlash(options.eventsUrl ?? DEFAULT_EVENTS_URL);
    this.pageSize = options.pageSize ?? MAX_PAGE;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1 || this.pageSize > MAX_PAGE) throw new Error(`pageSize must be an integer from 1 to ${MAX_PAGE}`);
  }

  /** GET /oncalls, every page (within PagerDuty's 10,000-item window). */
  async listOncalls(filter: OncallFilter, signal?: AbortSignal): Promise<OncallList> {
    const oncalls: Oncall[] = [];
    for (let offset = 0; ; offset += this.pageSize) {
      if (offset + this.pageSize > MAX_WINDOW) return { oncalls, truncated: true };
      const query = new URLSearchParams();
      for (const id of filter.escalationPolicyIds ?? []) query.append('escalation_policy_ids[]', id);
      for (const id of filter.scheduleIds ?? []) query.append('schedule_ids[]', id);
      for (const id of filter.userIds ?? []) query.append('user_ids[]', id);
      if (filter.includeUsers) query.append('include[]', 'users');
      if (filter.earliest) query.set('earliest', 'true');
      query.set('limit', String(this.pageSize));
      query.set('offset', String(offset));
      const page = oncallsPage.safeParse(await this.rest('/oncalls', query, signal));
      if (!page.success) throw new PagerDutyError(`PagerDuty GET /oncalls: unexpected response: ${issues(page.error)}`, 200, false);
      oncalls.push(...page.data.oncalls);
      if (!page.data.more || page.data.oncalls.length === 0) return { oncalls, truncated: false };
    }
  }

  /** POST /v2/enqueue with event_action "trigger". 202: the event was accepted. */
  async trigger(event: TriggerEvent, signal?: AbortSignal): Promise<TriggerResult> {
    const parsed = triggerEventSchema.safeParse(event);
    if (!parsed.success) throw new PagerDutyError(`PagerDuty event is invalid before sending: ${issues(parsed.error)}`, undefined, false);
    // PagerDuty folds a repeated trigger with the same dedup_key into one alert: safe to send twice.
    return this.enqueue({ ...parsed.data, event_action: 'trigger' }, parsed.data.dedup_key !== undefined, signal);
  }

  /** POST /v2/enqueue with event_action "resolve": closes the alert of that dedup_key (a second resolve is dropped). */
  async resolve(routingKey: string, dedupKey: string, signal?: AbortSignal): Promise<TriggerResult> {
    const parsed = resolveEventSchema.safeParse({ routing_key: routingKey, dedup_key: dedupKey });
    if (!parsed.success) throw new PagerDutyError(`PagerDuty event is invalid before sending: ${issues(parsed.error)}`, undefined, false);
    return this.enqueue({ ...parsed.data, event_action: 'resolve' }, true, signal);
  }

  private async enqueue(body: Record<string, unknown>, safeToRetry: boolean, signal?: AbortSignal): Promise<TriggerResult> {
    const where = 'PagerDuty POST /v2/enqueue';
    const response = await this.send(where, `${this.eventsUrl}/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      safeToRetry,
      signal,
    });
    const answer = await readJson(response);
    if (response.status === 202) {
      const ok = eventAccepted.safeParse(answer);
      if (!ok.success) throw new PagerDutyError(`${where}: unexpected response: ${issues(ok.error)}`, 202, false);
      return { dedupKey: ok.data.dedup_key, ...(ok.data.message ? { message: ok.data.message } : {}) };
    }
    const rejected = eventRejected.safeParse(answer);
    const errors = rejected.success ? (rejected.data.errors ?? []) : [];
    const said = rejected.success ? (rejected.data.message ?? rejected.data.status) : undefined;
    const status = response.status;
    const what = status === 400 ? 'invalid event' : describeStatus(status);
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new PagerDutyError(
      `${where}: ${status} ${what}${said ? `: ${said}` : ''}${errors.length ? ` (${errors.join('; ')})` : ''}`,
      status,
      status === 429 || status >= 500,
      undefined,
      errors,
      status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
    );
  }

  private async rest(path: string, query: URLSearchParams, signal?: AbortSignal): Promise<unknown> {
    const where = `PagerDuty GET ${path}`;
    if (!this.options.token) throw new PagerDutyError(`${where}: no API key`, undefined, false);
    const response = await this.send(where, `${this.apiUrl}${path}?${query}`, {
      headers: { authorization: `Token token=${this.options.token}`, accept: ACCEPT },
      signal,
    });
    const body = await readJson(response);
    if (response.ok) return body;
    const parsed = restErrorBody.safeParse(body);
    const error = parsed.success ? parsed.data.error : undefined;
    const status = response.status;
    const detail = [error?.message, error?.code != null ? `code ${error.code}` : undefined, ...(error?.errors ?? [])].filter(Boolean).join(', ');
    throw new PagerDutyError(
      `${where}: ${status} ${describeStatus(status)}${detail ? ` (${detail})` : ''}`,
      status,
      status === 429 || status >= 500,
      error?.code ?? undefined,
      error?.errors ?? [],
    );
  }

  private async send(where: string, url: string, init: HttpRequestOptions): Promise<HttpResponse> {
    try {
      return await this.options.http.request(url, init);
    } catch (err) {
      // An abort is the caller's decision, not PagerDuty's failure: let it through as it is.
      if (init.signal?.aborted) throw init.signal.reason ?? err;
      const cause = (err as Error & { cause?: Error }).cause;
      throw new PagerDutyError(`${where}: no answer: ${cause?.message ?? (err as Error).message}`, undefined, true);
    }
  }
}
