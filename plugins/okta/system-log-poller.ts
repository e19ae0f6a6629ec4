// Polls the System Log API: GET {org}/api/v1/logs?since=...&limit=... The cursor is the full `rel="next"` URL
// Okta returns in the Link header (it carries the opaque `after` value). For a polling query (since, no until)
// Okta always returns a next link, even on an empty page: following it is how new events are picked up.
import { z } from 'zod';
import type { HttpClient, PollResult } from '../../src/plugins/types.js';
import { oktaApi } from './api.js';
import type { OktaConfig } from './config.js';

/** The `rel="next"` target of a Link header (several links may be joined with ", "). */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]+)>\s*((?:;\s*[^;,]+)*)/g)) {
    if (/;\s*rel\s*=\s*"?next"?(\s|;|$)/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

export function firstPageUrl(origin: string, poll: NonNullable<OktaConfig['poll']>, now: Date): URL {
  const url = new URL('/api/v1/logs', origin);
  url.searchParams.set('since', new Date(now.getTime() - poll.lookbackMinutes * 60_000).toISOString());
  url.searchParams.set('limit', String(poll.limit));
  url.searchParams.set('sortOrder', 'ASCENDING');
  return url;
}

const pageSchema = z.array(z.unknown());

export async function fetchSystemLog(
  cursor: string | undefined,
  config: OktaConfig,
  secret: (name: string) => string | undefined,
  http: HttpClient,
  signal: AbortSignal,
  now: Date = new Date(),
): Promise<PollResult> {
  if (!config.poll) throw new Error('plugins.okta.poll is not set: the System Log is not polled');
  const api = oktaApi(config, secret, http);
  let url: URL;
  try {
    url = cursor ? new URL(cursor) : firstPageUrl(api.origin, config.poll, now);
  } catch {
    throw new Error(`the stored Okta cursor is not a URL: ${JSON.stringify(cursor)}`);
  }
  const answer = await api.get(url, signal);
  if (!answer) throw new Error(`Okta answered 404 for ${url.pathname}: is ${api.origin} an Okta org?`);
  const page = pageSchema.safeParse(answer.body);
  if (!page.success) throw new Error('Okta answered /api/v1/logs with something that is not an array of LogEvents');
  const next = nextLink(answer.headers.get('link'));
  // Without a next link (not expected for polling queries) the same page is fetched again: duplicates are
  // refused on (source, id), and nothing is skipped.
  return { events: page.data, cursor: next ?? url.toString() };
}
