// The client's limits with a controlled clock: how long a 429 blocks, and how the token bucket refills.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirusTotalClient } from './client.js';
import { TokenBucket } from './rate-limit.js';
import { createHttpClient } from '../../src/http/client.js';
import { FakeVirusTotal, vtError } from './fake-virustotal.js';

const vt = new FakeVirusTotal();
const signal = new AbortController().signal;
const http = createHttpClient({ env: {} });
const START = Date.parse('2026-01-10T12:00:00Z');

function clock() {
  let now = START;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('VirusTotalClient limits', () => {
  beforeAll(() => vt.start());
  afterAll(() => vt.stop());
  beforeEach(() => vt.reset());

  it('blocks for Retry-After seconds after a 429, then asks again', async () => {
    const time = clock();
    const client = new VirusTotalClient({ baseUrl: vt.baseUrl, apiKeyEnv: 'VT_KEY', now: time.now });
    vt.answer('/api/v3/files/abc', { ...vtError(429, 'QuotaExceededError', 'Quota exceeded'), headers: { 'retry-after': '120' } });
    await expect(client.get(http, 'files/abc', 'k', signal)).rejects.toThrow('VirusTotal quota exceeded, retry after 2026-01-10T12:02:00.000Z (in 120 s) (QuotaExceededError: Quota exceeded)');

    time.advance(119_000);
    await expect(client.get(http, 'files/abc', 'k', signal)).rejects.toThrow('VirusTotal quota exceeded, retry after 2026-01-10T12:02:00.000Z (in 1 s)');
    expect(vt.requests).toHaveLength(1);

    time.advance(1_000);
    vt.answer('/api/v3/files/abc', { status: 200, body: { data: { attributes: {} } } });
    await expect(client.get(http, 'files/abc', 'k', signal)).resolves.toEqual({ data: { attributes: {} } });
    expect(vt.requests).toHaveLength(2);
  });

  it('blocks for 60 s after a 429 without Retry-After', async () => {
    const time = clock();
    const client = new VirusTotalClient({ baseUrl: vt.baseUrl, apiKeyEnv: 'VT_KEY', now: time.now });
    vt.answer('/api/v3/files/abc', vtError(429, 'TooManyRequestsError', 'Too many requests'));
    await expect(client.get(http, 'files/abc', 'k', signal)).rejects.toThrow('retry after 2026-01-10T12:01:00.000Z (in 60 s)');
    time.advance(60_000);
    await expect(client.get(http, 'files/abc', 'k', signal)).rejects.toThrow('(in 60 s) (TooManyRequestsError');
    expect(vt.requests).toHaveLength(2);
  });

  it('enforces requestsPerMinute with a token bucket that refills over the minute', async () => {
    const time = clock();
    const client = new VirusTotalClient({ baseUrl: vt.baseUrl, apiKeyEnv: 'VT_KEY', requestsPerMinute: 4, now: time.now });
    for (let i = 0; i < 4; i++) await expect(client.get(http, 'files/none', 'k', signal)).resolves.toBeUndefined();
    await expect(client.get(http, 'files/none', 'k', signal)).rejects.toThrow('VirusTotal request limit reached (requestsPerMinute: 4): next request possible in 15 s');
    time.advance(10_000);
    await expect(client.get(http, 'files/none', 'k', signal)).rejects.toThrow('next request possible in 5 s');
    time.advance(5_000);
    await expect(client.get(http, 'files/none', 'k', signal)).resolves.toBeUndefined();
    expect(vt.requests).toHaveLength(5);
  });
});

describe('TokenBucket', () => {
  it('never holds more than its capacity, however long it idles', () => {
    const time = clock();
    const bucket = new TokenBucket(2, time.now);
    time.advance(10 * 60_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    expect(bucket.msUntilNext()).toBe(30_000);
  });
});
