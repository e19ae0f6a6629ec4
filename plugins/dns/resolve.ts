// Forward (A + AAAA) and reverse (PTR) lookups through node:dns. Each lookup gets its own Resolver: cancel()
// aborts every query of a resolver, so sharing one would let one abandoned query cancel its neighbours.
import { promises as dns } from 'node:dns';
import { reverseName } from './reverse-name.js';

export interface ResolverSettings {
  /** `ip` or `ip:port` / `[ipv6]:port`; absent: the system's resolvers. */
  servers?: string[];
  /** Per-attempt timeout (c-ares backs off on retries). */
  timeoutMs: number;
  /** Attempts per server. */
  tries: number;
}

/** A DNS failure other than "no such name" or "no such record", with the resolver's code (ESERVFAIL, ETIMEOUT...). */
export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// NXDOMAIN and NODATA: the name or the record does not exist, which is an answer (an empty one).
const EMPTY_ANSWER = new Set(['ENOTFOUND', 'ENODATA']);

function codeOf(err: unknown): string {
  return typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EUNKNOWN';
}

/**
 * Runs one lookup (one or more queries) on a fresh resolver that the signal cancels. Empty answers become [],
 * every other failure a DnsLookupError; the first failure cancels the lookup's other queries.
 */
async function withResolver<T>(
  settings: ResolverSettings,
  signal: AbortSignal,
  queries: (r: dns.Resolver) => { what: string; run: Promise<T[]> }[],
): Promise<T[][]> {
  if (signal.aborted) throw new DnsLookupError('ECANCELLED', `DNS lookup cancelled before it started`);
  const resolver = new dns.Resolver({ timeout: settings.timeoutMs, tries: settings.tries });
  if (settings.servers?.length) resolver.setServers(settings.servers);
  const cancel = () => resolver.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  let failed = false;
  const settle = async ({ what, run }: { what: string; run: Promise<T[]> }): Promise<T[]> => {
    try {
      return await run;
    } catch (err) {
      const code = codeOf(err);
      if (EMPTY_ANSWER.has(code)) return [];
      if (signal.aborted) {
        const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
        throw new DnsLookupError('ECANCELLED', `${what} cancelled${reason}`);
      }
      if (!failed) {
        failed = true;
        resolver.cancel();
      }
      throw new DnsLookupError(code, `${what} failed: ${code}`);
    }
  };
  try {
    return await Promise.all(queries(resolver).map(settle));
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** A and AAAA records of a name, asked at once. A missing family is simply absent. */
export async function lookupAddresses(hostname: string, settings: ResolverSettings, signal: AbortSignal): Promise<string[]> {
  const name = hostname.replace(/\.$/, '');
  const [v4 = [], v6 = []] = await withResolver(settings, signal, (r) => [
    { what: `DNS A query for ${name}`, run: r.resolve4(name) },
    { what: `DNS AAAA query for ${name}`, run: r.resolve6(name) },
  ]);
  return [...v4, ...v6];
}

/**
 * PTR records of an address. A plain PTR query, not Resolver.reverse(): reverse() goes through
 * getHostByAddr, which turns a timeout or SERVFAIL into ENOTFOUND (so a dead server would look like "no name").
 */
export async function lookupNames(ip: string, settings: ResolverSettings, signal: AbortSignal): Promise<string[]> {
  const name = reverseName(ip);
  const [names = []] = await withResolver(settings, signal, (r) => [{ what: `DNS PTR query for ${ip} (${name})`, run: r.resolvePtr(name) }]);
  return names;
}
