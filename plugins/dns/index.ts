// The dns plugin: Positron's HOSTNAME_TO_IP (A and AAAA records) and IP_TO_HOSTNAME (PTR records) from DNS,
// through the system's resolvers or the ones configured. Each lookup has its own timeout and is cancelled
// when Positron gives up on it.
import { isIP } from 'node:net';
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { HOSTNAME_TO_IP, IP_TO_HOSTNAME } from '../../src/positron/query-types.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { lookupAddresses, lookupNames, type ResolverSettings } from './resolve.js';

/** `ip`, `ip:port` or `[ipv6]:port`: the forms Resolver.setServers accepts. */
function isServer(text: string): boolean {
  if (isIP(text)) return true;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!m) return false;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  return (m[1] ? isIP(host) === 6 : isIP(host) === 4) && port >= 1 && port <= 65535;
}

const configSchema = z.strictObject({
  /** Resolvers to ask; absent: the system's (/etc/resolv.conf). */
  servers: z
    .array(z.string().trim().refine(isServer, 'must be an IP address, ip:port or [ipv6]:port, e.g. "10.0.0.53" or "127.0.0.1:5353"'))
    .min(1, 'list at least one server, or leave servers out to use the system resolvers')
    .optional(),
  /** Timeout of one attempt, in milliseconds. */
  timeoutMs: z.number().int().min(1).max(60_000).default(2000),
  /** Attempts per server before the lookup fails with ETIMEOUT. */
  tries: z.number().int().min(1).max(10).default(2),
});
type Config = z.infer<typeof configSchema>;

const settingsOf = (config: Config): ResolverSettings => ({ servers: config.servers, timeoutMs: config.timeoutMs, tries: config.tries });

export default definePlugin({
  namespace: 'dns',
  description: 'HOSTNAME_TO_IP and IP_TO_HOSTNAME from DNS (A, AAAA and PTR records)',
  config: configSchema,
  // Off unless configured: a PTR lookup of an attacker's address reaches the attacker's name server.
  enabledByDefault: false,
  exampleConfig: { servers: ['10.0.0.53', '127.0.0.1:5353'], timeoutMs: 2000, tries: 2 },
  setup(plugin) {
    plugin.query({
      type: HOSTNAME_TO_IP,
      name: 'hostname-to-ip',
      async answer({ hostname }, { signal, ctx }) {
        const addresses = await lookupAddresses(hostname, settingsOf(ctx.config), signal);
        // A live answer from the authority: observed now, whatever its TTL.
        const observedAt = new Date().toISOString();
        return addresses.map((ip) => ({ value: { ip: canonicalIp(ip) ?? ip }, confidence: 1, observedAt }));
      },
    });
    plugin.query({
      type: IP_TO_HOSTNAME,
      name: 'ip-to-hostname',
      async answer({ ip }, { signal, ctx }) {
        const names = await lookupNames(ip, settingsOf(ctx.config), signal);
        const observedAt = new Date().toISOString();
        return names.map((name) => ({ value: { hostname: name.toLowerCase().replace(/\.$/, '') }, confidence: 1, observedAt }));
      },
    });
  },
});
