// Every HTTP exchange with TheHive goes through here (one place to move onto a shared HTTP client later):
// auth and organisation headers, a per-call timeout joined to the caller's signal, and the mapping of every
// failure to a CaseBackendError that says whether retrying can help (EXTERNAL_APIS.md §1.1 error shapes).
import { z } from 'zod';
import { CaseBackendError } from '../../src/cases/backend.js';

export interface TheHiveHttpOptions {
  url: string;
  organisation?: string;
  /** Read on each call, so a rotated key (NAME_FILE) is picked up. */
  apiKey(): string | undefined;
  /** Named in the error when the key is missing or refused. */
  apiKeyEnv: string;
  timeoutMs: number;
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** TheHive's error body: `{type, message}` (CreateError adds `object`, AttributeCheckingError `errors`). */
const errorBody = z.looseObject({ type: z.string().optional(), message: z.string().optional(), errors: z.unknown().optional() });

export class TheHiveHttp {
  private readonly base: string;
  constructor(private readonly options: TheHiveHttpOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  /** Sends one request and returns any answer TheHive gave; throws only when none came (retryable). */
  async send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Answer> {
    const where = `TheHive ${method} ${path}`;
    const key = this.options.apiKey();
    if (!key) throw new CaseBackendError(`${where}: no API key: set the environment variable ${this.options.apiKeyEnv}`, false);
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
    if (this.options.organisation) headers['x-organisation'] = this.options.organisation;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    try {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: both,
      });
      const text = await response.text();
      return { status: response.status, body: parseBody(text), headers: response.headers };
    } catch (err) {
      if (signal.aborted) throw new CaseBackendError(`${where}: cancelled`, true, { cause: signal.reason ?? err });
      if (timeout.aborted) throw new CaseBackendError(`${where}: no answer within ${this.options.timeoutMs} ms`, true, { cause: err });
      const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
      const detail = cause?.message || cause?.code || (err as Error).message;
      throw new CaseBackendError(`${where}: no answer: ${detail}`, true, { cause: err });
    }
  }

  /** Sends and returns the body of a 2xx answer; any other answer becomes a CaseBackendError. */
  async call(method: string, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const answer = await this.send(method, path, body, signal);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw this.failure(method, path, answer);
  }

  /** The CaseBackendError for a non-2xx answer: 429 and 5xx are retryable, other 4xx are not. */
  failure(method: string, path: string, answer: Answer): CaseBackendError {
    const { status } = answer;
    const parsed = errorBody.safeParse(answer.body);
    const type = parsed.success ? parsed.data.type : undefined;
    const said = parsed.success ? parsed.data.message : typeof answer.body === 'string' ? answer.body.slice(0, 300) : undefined;
    const errors = parsed.success && parsed.data.errors !== undefined ? ` ${JSON.stringify(parsed.data.errors).slice(0, 500)}` : '';
    const hint = HINTS[status]?.(this.options) ?? '';
    const message = `TheHive ${method} ${path}: ${status}${type ? ` ${type}` : ''}${said ? `: ${said}` : ''}${errors}${hint}`;
    const retryable = status === 429 || status >= 500;
    const retryAfterMs = retryable ? parseRetryAfter(answer.headers.get('retry-after')) : undefined;
    return new CaseBackendError(message, retryable, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
}

const HINTS: Record<number, (o: TheHiveHttpOptions) => string> = {
  401: (o) => ` (check the API key in ${o.apiKeyEnv})`,
  403: (o) => ` (the API key's user lacks a permission${o.organisation ? ` in organisation ${o.organisation}` : ''}: see plugins/thehive/README.md)`,
};

/** TheHive's 400 CreateError for something that exists already (an observable, an alert): not a failure for us. */
export function isAlreadyExists(answer: Answer): boolean {
  if (answer.status !== 400) return false;
  const parsed = errorBody.safeParse(answer.body);
  return parsed.success && /already exist/i.test(parsed.data.message ?? '');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Retry-After is seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
