// CSRF: a synchronizer token kept in the signed session cookie. Every non-GET request under /ui must carry it,
// as the form field `_csrf` or the header `X-CSRF-Token` (htmx sends the header: the layout sets hx-headers).
// SameSite=Lax cookies already keep most cross-site posts out; the token covers the rest (same-site
// subdomains, older browsers).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function presentedCsrf(req: IncomingMessage, form: Record<string, unknown>): string | undefined {
  const header = req.headers[CSRF_HEADER];
  if (typeof header === 'string' && header) return header;
  const field = form[CSRF_FIELD];
  return typeof field === 'string' && field ? field : undefined;
}

export function csrfMatches(expected: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
