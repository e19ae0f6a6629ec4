// The retry policy for every outbound call, as a pure function: what to retry, and how long to wait.
// - Connection errors before anything was sent (refused, connect timeout, DNS not answering): always, the
//   server never saw the request.
// - Errors after it may have been sent (reset, socket closed, headers timeout) and 5xx: idempotent methods
//   only, unless the caller marks the call safe to retry (the vendor de-duplicates it).
// - 429: only when the server says when (Retry-After) and that is soon enough; a quota counted in minutes
//   is the caller's to report, not ours to sleep through.
// - Retry-After is honoured on 429 and 503 when it fits in the call's deadline; otherwise exponential
//   back-off with full jitter.

export type Attempt = { status: number; retryAfterMs?: number } | { error: string };

export interface RetryContext {
  method: string;
  safeToRetry?: boolean;
  /** 1 for the first attempt. */
  attempt: number;
  retries: number;
  maxRetryAfterMs: number;
  backoffBaseMs: number;
  remainingMs: number;
  random?: () => number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const RETRY_STATUS = new Set([500, 502, 503, 504]);
const MAX_BACKOFF_MS = 5_000;

export function retryDecision(outcome: Attempt, ctx: RetryContext): { retry: false } | { retry: true; waitMs: number } {
  if (ctx.attempt > ctx.retries) return { retry: false };
  const repeatable = ctx.safeToRetry === true || IDEMPOTENT.has(ctx.method.toUpperCase());
  const backoff = Math.round((ctx.random ?? Math.random)() * Math.min(MAX_BACKOFF_MS, ctx.backoffBaseMs * 2 ** (ctx.attempt - 1)));

  let waitMs: number;
  if ('error' in outcome) {
    if (!NOT_SENT.has(outcome.error) && !(repeatable && MAYBE_SENT.has(outcome.error))) return { retry: false };
    waitMs = backoff;
  } else if (outcome.status === 429) {
    if (!repeatable || outcome.retryAfterMs === undefined || outcome.retryAfterMs > ctx.maxRetryAfterMs) return { retry: false };
    waitMs = outcome.retryAfterMs;
  } else if (RETRY_STATUS.has(outcome.status)) {
    if (!repeatable) return { retry: false };
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > ctx.maxRetryAfterMs) return { retry: false };
    waitMs = outcome.retryAfterMs ?? backoff;
  } else {
    return { retry: false };
  }
  // A wait that outlasts the deadline only turns an answer into a timeout: give the answer instead.
  if (waitMs >= ctx.remainingMs) return { retry: false };
  return { retry: true, waitMs };
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 section 10.2.3); the wait in ms, or undefined. */
export function retryAfterMs(header: string | string[] | null | undefined, now: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
