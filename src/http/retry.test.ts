// The retry policy as a table: what is retried, and how long the client waits.
import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryDecision, type RetryContext } from './retry.js';

const ctx = (over: Partial<RetryContext> = {}): RetryContext => ({ method: 'GET', attempt: 1, retries: 2, maxRetryAfterMs: 30_000, backoffBaseMs: 100, remainingMs: 10_000, random: () => 1, ...over });

describe('retryDecision', () => {
  it('retries connection errors where nothing was sent, whatever the method', () => {
    expect(retryDecision({ error: 'ECONNREFUSED' }, ctx({ method: 'POST' }))).toEqual({ retry: true, waitMs: 100 });
    expect(retryDecision({ error: 'UND_ERR_CONNECT_TIMEOUT' }, ctx({ method: 'PATCH', attempt: 2 }))).toEqual({ retry: true, waitMs: 200 });
  });

  it('retries errors after sending, and 5xx, for idempotent or safe calls only', () => {
    expect(retryDecision({ error: 'ECONNRESET' }, ctx())).toMatchObject({ retry: true });
    expect(retryDecision({ error: 'ECONNRESET' }, ctx({ method: 'POST' }))).toEqual({ retry: false });
    expect(retryDecision({ error: 'ECONNRESET' }, ctx({ method: 'POST', safeToRetry: true }))).toMatchObject({ retry: true });
    expect(retryDecision({ status: 503 }, ctx({ method: 'PUT' }))).toMatchObject({ retry: true });
    expect(retryDecision({ status: 503 }, ctx({ method: 'POST' }))).toEqual({ retry: false });
    expect(retryDecision({ error: 'ENOTFOUND' }, ctx())).toEqual({ retry: false });
    expect(retryDecision({ error: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, ctx())).toEqual({ retry: false });
    for (const status of [200, 301, 400, 401, 404, 501]) expect(retryDecision({ status }, ctx())).toEqual({ retry: false });
  });

  it('honours Retry-After on 429 and 503 within the limits, and never waits past the deadline', () => {
    expect(retryDecision({ status: 429, retryAfterMs: 2_000 }, ctx())).toEqual({ retry: true, waitMs: 2_000 });
    expect(retryDecision({ status: 429 }, ctx())).toEqual({ retry: false });
    expect(retryDecision({ status: 429, retryAfterMs: 60_000 }, ctx({ remainingMs: 120_000 }))).toEqual({ retry: false });
    expect(retryDecision({ status: 503, retryAfterMs: 3_000 }, ctx())).toEqual({ retry: true, waitMs: 3_000 });
    expect(retryDecision({ status: 503, retryAfterMs: 3_000 }, ctx({ remainingMs: 2_000 }))).toEqual({ retry: false });
  });

  it('stops after the configured retries; back-off doubles with jitter, capped at 5 s', () => {
    expect(retryDecision({ status: 502 }, ctx({ attempt: 3 }))).toEqual({ retry: false });
    expect(retryDecision({ status: 502 }, ctx({ attempt: 9, retries: 10, remainingMs: 60_000 }))).toEqual({ retry: true, waitMs: 5_000 });
    expect(retryDecision({ status: 502 }, ctx({ random: () => 0.5 }))).toEqual({ retry: true, waitMs: 50 });
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs(['2'], now)).toBe(2_000);
    expect(retryAfterMs('Sat, 10 Jan 2026 12:05:00 GMT', now)).toBe(300_000);
    expect(retryAfterMs('Sat, 10 Jan 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
