// A small VirusTotal API v3 client: GET one object, 404 -> undefined, errors named by VirusTotal's error code.
// It remembers a 429 (quota exhausted) and fails fast until the quota is back, and optionally enforces a
// requests-per-minute budget of its own, so a burst of Positron queries does not burn the daily quota.
import { z } from 'zod';
import type { HttpClient } from '../../src/plugins/types.js';
import { retryAfterMs } from '../../src/http/retry.js';
import { TokenBucket } from './rate-limit.js';

/** VirusTotal v3 error body: {"error": {"code": "NotFoundError", "message": "..."}} */
const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

const DEFAULT_QUOTA_BACKOFF_MS = 60_000;

export interface VirusTotalClientOptions {
  /** e.g. https://www.virustotal.com (the client adds /api/v3/...). */
  baseUrl: string;
  /** The env variable holding the key: named in error messages, never the key itself. */
  apiKeyEnv: string;
  requestsPerMinute?: number;
  /** Epoch milliseconds; tests pass a controlled clock. */
  now?: () => number;
}

export class VirusTotalClient {
  private quotaExhaustedUntil = 0;
  private readonly bucket?: TokenBucket;
  private readonly now: () => number;

  constructor(private readonly options: VirusTotalClientOptions) {
    this.now = options.now ?? Date.now;
    if (options.requestsPerMinute) this.bucket = new TokenBucket(options.requestsPerMinute, this.now);
  }

  /** The JSON body of GET /api/v3/{path}, or undefined when VirusTotal does not know the object. */
  async get(http: HttpClient, path: string, apiKey: string | undefined, signal: AbortSignal): Promise<unknown> {
    if (!apiKey) throw new Error(`VirusTotal API key missing: set the environment variable ${this.options.apiKeyEnv}`);
    this.checkLimits();

    const url = new URL(`api/v3/${path}`, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    const res = await http.request(url, { headers: { 'x-apikey': apiKey, accept: 'application/json' }, signal });
    if (res.ok) {
      try {
        return await res.json();
      } catch {
        throw new Error(`VirusTotal answered HTTP ${res.status} with a body that is not JSON`);
      }
    }

    const error = errorBodySchema.safeParse(await res.json().catch(() => undefined));
    const code = error.success ? error.data.error.code : undefined;
    const detail = error.success ? `${code}${error.data.error.message ? `: ${error.data.error.message}` : ''}` : `HTTP ${res.status}`;
    if (res.status === 404) return undefined;
    if (res.status === 429) {
      this.quotaExhaustedUntil = this.now() + (retryAfterMs(res.headers.get('retry-after'), this.now()) ?? DEFAULT_QUOTA_BACKOFF_MS);
      throw new Error(`${this.quotaMessage()} (${detail})`);
    }
    if (res.status === 401) throw new Error(`VirusTotal refused the API key in ${this.options.apiKeyEnv} (${detail})`);
    throw new Error(`VirusTotal answered HTTP ${res.status} (${detail})`);
  }

  private checkLimits(): void {
    if (this.now() < this.quotaExhaustedUntil) throw new Error(this.quotaMessage());
    if (this.bucket && !this.bucket.take()) {
      const seconds = Math.ceil(this.bucket.msUntilNext() / 1000);
      throw new Error(`VirusTotal request limit reached (requestsPerMinute: ${this.options.requestsPerMinute}): next request possible in ${seconds} s`);
    }
  }

  private quotaMessage(): string {
    const seconds = Math.ceil((this.quotaExhaustedUntil - this.now()) / 1000);
    return `VirusTotal quota exceeded, retry after ${new Date(this.quotaExhaustedUntil).toISOString()} (in ${seconds} s)`;
  }
}
