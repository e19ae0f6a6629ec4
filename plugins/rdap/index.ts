// RDAP: DOMAIN_INFO from the registry itself (registrar, registration and expiry dates, name servers), over
// the Registration Data Access Protocol (RFC 9082/9083), the JSON successor of WHOIS.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { DOMAIN_INFO } from '../../src/positron/query-types.js';
import { baseUrlFor, domainUrl, fetchRdapDomain } from './fetch-domain.js';
import { eventDate, toRegistration } from './rdap-domain.js';

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://rdap.org/' });

const configSchema = z.strictObject({
  /** Where domains of TLDs not in `tlds` are looked up. rdap.org redirects to the authoritative server. */
  baseUrl: httpUrl.default('https://rdap.org/'),
  /** TLD (or any suffix, e.g. "co.uk") -> RDAP base URL, from the IANA bootstrap file or your own registry. */
  tlds: z.record(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'must be a lower-case TLD such as com'), httpUrl).default({}),
  /** Deadline for this provider; redirects to a slow registry may need more than Positron's default. */
  timeoutMs: z.number().int().positive().optional(),
});

export default definePlugin({
  namespace: 'rdap',
  description: 'DOMAIN_INFO from RDAP: registrar, creation and expiry dates, name servers',
  config: configSchema,
  enabledByDefault: false,
  exampleConfig: { baseUrl: 'https://rdap.org/', tlds: { com: 'https://rdap.verisign.com/com/v1/' } },
  setup(plugin) {
    plugin.query({
      type: DOMAIN_INFO,
      timeoutMs: plugin.config.timeoutMs,
      async answer({ domain }, { signal, ctx }) {
        const name = domain.replace(/\.$/, '');
        const url = domainUrl(baseUrlFor(name, ctx.config.baseUrl, ctx.config.tlds), name);
        const rdap = await fetchRdapDomain(ctx.http, url, signal);
        if (!rdap) return [];
        const registration = toRegistration(rdap);
        if (!Object.keys(registration).length) return [];
        return [{ value: registration, observedAt: eventDate(rdap, 'last update of RDAP database') }];
      },
    });
  },
});
