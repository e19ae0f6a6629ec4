// A small client for the Okta management API: `Authorization: SSWS <token>`, JSON, and errors that say what
// to do. The token is read from the environment variable the config names, at each call.
import { z } from 'zod';
import type { HttpClient, HttpResponse } from '../../src/plugins/types.js';
import type { OktaConfig } from './config.js';

export class OktaApiError extends Error {
  override readonly name = 'OktaApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Okta's error body: { errorCode: "E0000007", errorSummary: "Not found: ..." }. */
const oktaErrorSchema = z.looseObject({ errorCode: z.string().optional(), errorSummary: z.string().optional() });

export interface OktaApi {
  origin: string;
  /** GET an absolute URL on the org; undefined on 404. */
  get(url: URL, signal: AbortSignal): Promise<{ body: unknown; headers: Headers } | undefined>;
}

/** The API for a configured org, or an Error saying which setting or secret is missing. */
export function oktaApi(config: Pick<OktaConfig, 'orgUrl' | 'tokenEnv'>, secret: (name: string) => string | undefined, http: HttpClient): OktaApi {
  if (!config.orgUrl || !config.tokenEnv) throw new Error('plugins.okta.orgUrl and plugins.okta.tokenEnv must be set to use the Okta API');
  const origin = new URL(config.orgUrl).origin;
  const tokenEnv = config.tokenEnv;
  return {
    origin,
    async get(url, signal) {
      // The token goes only to the configured org, whatever a stored cursor or a Link header says.
      if (url.origin !== origin) throw new Error(`refusing to send the Okta token to ${url.origin}: the configured org is ${origin}`);
      const token = secret(tokenEnv);
      if (!token) throw new Error(`the environment variable ${tokenEnv} (or ${tokenEnv}_FILE) holding the Okta API token is not set`);
      const res = await http.request(url, { headers: { authorization: `SSWS ${token}`, accept: 'application/json' }, signal });
      if (res.status === 404) {
        await res.discard();
        return undefined;
      }
      if (!res.ok) throw await errorFor(res, tokenEnv);
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        throw new OktaApiError(`Okta answered ${url.pathname} with a body that is not JSON`, res.status);
      }
      return { body, headers: res.headers };
    },
  };
}

async function errorFor(res: HttpResponse, tokenEnv: string): Promise<OktaApiError> {
  const text = await res.text().catch(() => '');
  let summary = '';
  try {
    const parsed = oktaErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) summary = [parsed.data.errorCode, parsed.data.errorSummary].filter(Boolean).join(' ');
  } catch {
    // not JSON: the status says enough
  }
  const why = summary ? ` (${summary})` : '';
  if (res.status === 401) return new OktaApiError(`Okta refused the API token (HTTP 401)${why}: check ${tokenEnv}`, 401);
  if (res.status === 403) return new OktaApiError(`the Okta API token may not read this (HTTP 403)${why}: give it read access to users and logs`, 403);
  if (res.status === 429) {
    const reset = Number(res.headers.get('x-rate-limit-reset'));
    const when = Number.isFinite(reset) && reset > 0 ? `; the limit resets at ${new Date(reset * 1000).toISOString()}` : '';
    return new OktaApiError(`Okta is rate-limiting this token (HTTP 429)${when}`, 429);
  }
  return new OktaApiError(`Okta answered HTTP ${res.status}${why}`, res.status);
}
