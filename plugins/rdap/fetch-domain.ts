// Asks an RDAP server for one domain: GET {base}domain/{name}. Redirects are followed (rdap.org and other
// bootstrap services answer with a redirect to the registry's own server). 404 means the registry does not
// know the domain; anything else that is not a domain object is an error that says which server and why.
import type { HttpClient, HttpResponse } from '../../src/plugins/types.js';
import { rdapDomainSchema, rdapErrorSchema, type RdapDomain } from './rdap-domain.js';

export const RDAP_MEDIA_TYPE = 'application/rdap+json';

/** The base URL for a domain: the longest matching suffix in the per-TLD map, else the default. */
export function baseUrlFor(domain: string, defaultBase: string, tlds: Record<string, string>): string {
  const labels = domain.split('.');
  for (let i = 1; i < labels.length; i++) {
    const base = tlds[labels.slice(i).join('.')];
    if (base) return base;
  }
  return defaultBase;
}

export function domainUrl(base: string, domain: string): string {
  return new URL(`domain/${encodeURIComponent(domain)}`, base.endsWith('/') ? base : `${base}/`).toString();
}

async function refusal(res: HttpResponse): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = rdapErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) return [parsed.data.title, ...(parsed.data.description ?? [])].filter(Boolean).join(': ');
  } catch {
    // not JSON: the status says enough
  }
  return '';
}

/** The domain object, or undefined when the registry has no such domain. */
export async function fetchRdapDomain(http: HttpClient, url: string, signal: AbortSignal): Promise<RdapDomain | undefined> {
  const res = await http.request(url, { headers: { accept: RDAP_MEDIA_TYPE }, followRedirects: true, signal });
  const server = new URL(res.url).host;
  if (res.status === 404) {
    await res.discard();
    return undefined;
  }
  if (res.status === 429) {
    await res.discard();
    const retryAfter = res.headers.get('retry-after');
    throw new Error(`RDAP server ${server} is rate-limiting queries (HTTP 429)${retryAfter ? `; it asks to retry after ${retryAfter} s` : ''}`);
  }
  if (!res.ok) {
    const why = await refusal(res);
    throw new Error(`RDAP server ${server} answered HTTP ${res.status}${why ? ` (${why})` : ''}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new Error(`RDAP server ${server} answered HTTP ${res.status} with a body that is not JSON`);
  }
  const parsed = rdapDomainSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join(', ');
    throw new Error(`RDAP server ${server} answered something that is not an RDAP domain object (${issues})`);
  }
  return parsed.data;
}
