// The one outbound HTTP client (ctx.http): undici pools per origin with keep-alive behind EnvHttpProxyAgent
// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), extra CA certificates, a deadline per call, and one retry policy for
// every vendor. Nothing secret is logged: no header values, no query strings, no bodies.
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvHttpProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';
import { Registry } from 'prom-client';
import type { Logger } from '../app/logger.js';
import type { Env } from '../app/secrets.js';
import type { HttpClient, HttpRequestOptions, HttpResponse } from '../plugins/types.js';
import { HttpMetrics } from './metrics.js';
import { retryAfterMs, retryDecision, type Attempt } from './retry.js';
import type { HttpConfig } from './config.js';

/** A call that got no usable answer: connection refused or reset, timeout, TLS, proxy refusal. */
export class OutboundHttpError extends Error {
  override readonly name = 'OutboundHttpError';
  constructor(
    message: string,
    /** The error code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, timeout, SELF_SIGNED_CERT_IN_CHAIN, ...). */
    readonly code: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

export interface HttpClientOptions extends Partial<HttpConfig> {
  /** Where HTTP_PROXY, HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS are read (lower-case names too). */
  env?: Env;
  logger?: Logger;
  /** Per-host metrics go here (GET /metrics); a private registry when absent. */
  registry?: Registry;
  /** First back-off step; the n-th retry waits up to base * 2^n (full jitter). Tests make it small. */
  backoffBaseMs?: number;
}

/** The core's client: `forPlugin` gives each plugin a view that labels its metrics and logs. */
export interface CoreHttpClient extends HttpClient {
  forPlugin(namespace: string): HttpClient;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Headers that may follow a redirect to another origin; everything else may carry a credential. */
const PORTABLE_HEADERS = new Set(['accept', 'accept-language', 'content-type', 'user-agent']);
const USER_AGENT = 'taser';

const TLS_TRUST_CODES = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED']);

function envValue(env: Env, name: string): string {
  return env[name.toLowerCase()] ?? env[name] ?? '';
}

/** The CA list when the config adds files: Node's roots, NODE_EXTRA_CA_CERTS and the files. Undefined: Node's default. */
function trustedCas(env: Env, caFiles: readonly string[]): string[] | undefined {
  if (caFiles.length === 0) return undefined;
  const extra = env.NODE_EXTRA_CA_CERTS ? [env.NODE_EXTRA_CA_CERTS] : [];
  return [...rootCertificates, ...[...extra, ...caFiles].map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`http.caFiles: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  })];
}

/** "GET https://host/path" without the query string, which may carry a key. */
const describe = (method: string, url: URL) => `${method} ${url.origin}${url.pathname}`;

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return (err as Error)?.name ?? 'error';
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

function wrap(status: number, url: URL, headers: Headers, body: Dispatcher.ResponseData['body']): HttpResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    url: url.toString(),
    headers,
    text: () => body.text(),
    json: async () => JSON.parse(await body.text()) as unknown,
    discard: async () => {
      await body.dump().catch(() => undefined);
    },
  };
}

export function createHttpClient(options: HttpClientOptions = {}): CoreHttpClient {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const backoffBaseMs = options.backoffBaseMs ?? 250;
  const logger = options.logger;
  const metrics = new HttpMetrics(options.registry ?? new Registry());
  const ca = trustedCas(env, options.caFiles ?? []);
  const tls = { timeout: connectTimeoutMs, ...(ca ? { ca } : {}) };
  const dispatcher = new EnvHttpProxyAgent({
    // Explicit values, so the environment the config was read from decides, not whatever process.env holds.
    httpProxy: envValue(env, 'HTTP_PROXY'),
    httpsProxy: envValue(env, 'HTTPS_PROXY'),
    noProxy: envValue(env, 'NO_PROXY'),
    connect: tls,
    requestTls: tls,
    proxyTls: tls,
    keepAliveTimeout: 30_000,
    connections: options.connectionsPerOrigin ?? 32,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  async function request(plugin: string, input: string | URL, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    let url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} URLs are not supported: only http and https`);
    let method: string = opts.method ?? 'GET';
    let body = opts.body;
    // A stream is sent once: it cannot be sent again, so a call with one is never retried.
    const tries = body instanceof Readable ? 0 : retries;
    let headers: Record<string, string> = { 'user-agent': USER_AGENT, ...opts.headers };
    const limit = opts.timeoutMs ?? timeoutMs;
    const deadline = AbortSignal.timeout(limit);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    const started = Date.now();
    let attempt = 0;
    let redirects = 0;

    for (;;) {
      attempt++;
      const host = url.host;
      const stopTimer = metrics.duration.startTimer({ host });
      let outcome: Attempt;
      let response: Dispatcher.ResponseData | undefined;
      try {
        response = await undiciRequest(url, { method: method as Dispatcher.HttpMethod, headers, body, signal, dispatcher });
        stopTimer();
        metrics.requests.inc({ plugin, host, method, status: String(response.statusCode) });
        outcome = { status: response.statusCode, retryAfterMs: retryAfterMs(response.headers['retry-after'], Date.now()) };
      } catch (err) {
        stopTimer();
        if (opts.signal?.aborted) throw opts.signal.reason ?? err;
        const code = deadline.aborted ? 'timeout' : errorCode(err);
        metrics.requests.inc({ plugin, host, method, status: 'error' });
        metrics.errors.inc({ plugin, host, code });
        outcome = { error: code };
        if (deadline.aborted) {
          throw new OutboundHttpError(`${describe(method, url)}: no answer within ${limit} ms (${attempt} attempt(s))`, 'timeout', attempt);
        }
        const decision = retryDecision(outcome, { method, safeToRetry: opts.safeToRetry, attempt, retries: tries, maxRetryAfterMs, backoffBaseMs, remainingMs: limit - (Date.now() - started) });
        if (decision.retry) {
          logger?.warn({ plugin, host, method, path: url.pathname, attempt, code, waitMs: decision.waitMs }, 'outbound HTTP call failed; retrying');
          metrics.retries.inc({ plugin, host, reason: code });
          await wait(decision.waitMs, signal, opts.signal);
          continue;
        }
        throw new OutboundHttpError(`${describe(method, url)}: no answer: ${explain(code, err)}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, code, attempt);
      }

      const status = response.statusCode;
      const location = response.headers.location;
      if (opts.followRedirects && REDIRECTS.has(status) && typeof location === 'string') {
        await response.body.dump().catch(() => undefined);
        if (++redirects > MAX_REDIRECTS) throw new OutboundHttpError(`${describe(method, url)}: more than ${MAX_REDIRECTS} redirects`, 'redirects', attempt);
        const next = new URL(location, url);
        if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => PORTABLE_HEADERS.has(k.toLowerCase())));
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
        attempt = 0;
        continue;
      }

      const decision = retryDecision(outcome, { method, safeToRetry: opts.safeToRetry, attempt, retries: tries, maxRetryAfterMs, backoffBaseMs, remainingMs: limit - (Date.now() - started) });
      if (decision.retry) {
        await response.body.dump().catch(() => undefined);
        logger?.warn({ plugin, host, method, path: url.pathname, attempt, status, waitMs: decision.waitMs }, 'outbound HTTP call answered with a retryable status; retrying');
        metrics.retries.inc({ plugin, host, reason: String(status) });
        await wait(decision.waitMs, signal, opts.signal);
        continue;
      }
      return wrap(status, url, toHeaders(response.headers), response.body);
    }

    async function wait(ms: number, combined: AbortSignal, caller: AbortSignal | undefined): Promise<void> {
      try {
        await sleep(ms, undefined, { signal: combined });
      } catch (err) {
        if (caller?.aborted) throw caller.reason ?? err;
        throw new OutboundHttpError(`${describe(method, url)}: no answer within ${limit} ms (${attempt} attempt(s))`, 'timeout', attempt);
      }
    }
  }

  return {
    request: (url, opts) => request('core', url, opts),
    forPlugin: (namespace) => ({ request: (url, opts) => request(namespace, url, opts) }),
    close: () => dispatcher.close(),
  };
}

function explain(code: string, err: unknown): string {
  if (TLS_TRUST_CODES.has(code)) {
    return `the server's TLS certificate is not trusted (${code}): add its CA with NODE_EXTRA_CA_CERTS or the config's http.caFiles`;
  }
  const message = (err as Error)?.message ?? String(err);
  return message.includes(code) ? message : `${message} (${code})`;
}

let fallback: CoreHttpClient | undefined;
/** For contexts built without the app's client (tools, test harnesses): the process environment, no metrics. */
export function defaultHttpClient(): CoreHttpClient {
  fallback ??= createHttpClient();
  return fallback;
}
