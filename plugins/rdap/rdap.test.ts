// The RDAP provider against a local RDAP server: a bootstrap path that redirects to the "registry", a registry
// that answers realistic RFC 9083 domain objects, and the refusals real servers give.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadPluginForTest } from '../../test/support/plugin-harness.js';
import { providersFrom } from '../../src/positron/wire.js';
import { fanOut } from '../../src/positron/fanout.js';
import { DOMAIN_INFO } from '../../src/positron/query-types.js';

const folder = fileURLToPath(new URL('.', import.meta.url));

// Shaped like Verisign's answer for a .com domain (trimmed: notices, links, remarks, contact entities).
const exampleCom = {
  objectClassName: 'domain',
  handle: '2336799_DOMAIN_COM-VRSN',
  ldhName: 'EXAMPLE.COM',
  links: [{ value: 'https://rdap.verisign.com/com/v1/domain/EXAMPLE.COM', rel: 'self', href: 'https://rdap.verisign.com/com/v1/domain/EXAMPLE.COM', type: 'application/rdap+json' }],
  status: ['client delete prohibited', 'client transfer prohibited', 'client update prohibited'],
  entities: [
    {
      objectClassName: 'entity',
      handle: '376',
      roles: ['registrar'],
      publicIds: [{ type: 'IANA Registrar ID', identifier: '376' }],
      vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'RESERVED-Internet Assigned Numbers Authority']]],
      entities: [
        {
          objectClassName: 'entity',
          roles: ['abuse'],
          vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Abuse desk'], ['email', {}, 'text', 'abuse@example.net']]],
        },
      ],
    },
    { objectClassName: 'entity', roles: ['registrant'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'REDACTED FOR PRIVACY']]] },
  ],
  events: [
    { eventAction: 'registration', eventDate: '1995-08-14T04:00:00Z' },
    { eventAction: 'expiration', eventDate: '2026-08-13T04:00:00Z' },
    { eventAction: 'last changed', eventDate: '2025-08-14T07:01:34Z' },
    { eventAction: 'last update of RDAP database', eventDate: '2025-11-20T10:15:02Z' },
  ],
  secureDNS: { delegationSigned: true, dsData: [{ keyTag: 370, algorithm: 13, digestType: 2, digest: 'BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A86764247C' }] },
  nameservers: [
    { objectClassName: 'nameserver', ldhName: 'A.IANA-SERVERS.NET' },
    { objectClassName: 'nameserver', ldhName: 'B.IANA-SERVERS.NET.' },
  ],
  rdapConformance: ['rdap_level_0', 'icann_rdap_technical_implementation_guide_1', 'icann_rdap_response_profile_1'],
};

const rdapError = (errorCode: number, title: string) => ({ errorCode, title, description: [`${title} (fake registry)`] });

let requests: { path: string; accept: string | undefined }[] = [];

describe('rdap provider', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      requests.push({ path, accept: req.headers.accept });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/rdap+json', ...headers });
        res.end(JSON.stringify(body));
      };
      // The bootstrap service: every domain redirects to the registry, like rdap.org.
      const bootstrap = /^\/bootstrap\/domain\/(.+)$/.exec(path);
      if (bootstrap) {
        res.writeHead(302, { location: `${base}/registry/com/v1/domain/${bootstrap[1]}` });
        res.end();
        return;
      }
      if (!req.headers.accept?.includes('application/rdap+json')) return json(406, rdapError(406, 'Not Acceptable'));
      switch (path) {
        case '/registry/com/v1/domain/example.com':
          return json(200, exampleCom);
        case '/registry/com/v1/domain/busy.com':
          return json(429, rdapError(429, 'Too Many Requests'), { 'retry-after': '30' });
        case '/registry/com/v1/domain/broken.com':
          return json(503, rdapError(503, 'Service Unavailable'));
        case '/registry/com/v1/domain/entity.com':
          return json(200, { objectClassName: 'entity', handle: 'X' });
        case '/registry/com/v1/domain/bare.com':
          return json(200, { objectClassName: 'domain', ldhName: 'BARE.COM' });
        case '/tld-shop/domain/store.shop':
          return json(200, { ...exampleCom, ldhName: 'STORE.SHOP', entities: [], events: [{ eventAction: 'registration', eventDate: '2021-03-01T12:00:00.5+02:00' }] });
        default:
          return json(404, rdapError(404, 'Not Found'));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests = [];
  });

  async function ask(domain: string) {
    const plugin = await loadPluginForTest(folder, { baseUrl: `${base}/bootstrap/`, tlds: { shop: `${base}/tld-shop` } });
    const providers = providersFrom(plugin.routes, new Map([[plugin.namespace, plugin.ctx]]));
    const [outcome] = await fanOut(DOMAIN_INFO, providers, DOMAIN_INFO.input.parse({ domain }), { defaultTimeoutMs: 5000 });
    return outcome!;
  }

  it('follows the bootstrap redirect and maps the domain object', async () => {
    const outcome = await ask('Example.COM.');
    expect(outcome.provider).toBe('rdap:rdap');
    expect(outcome.status).toBe('answered');
    expect(outcome.answers).toEqual([
      {
        value: {
          registrar: 'RESERVED-Internet Assigned Numbers Authority',
          created: '1995-08-14T04:00:00.000Z',
          expires: '2026-08-13T04:00:00.000Z',
          nameservers: ['a.iana-servers.net', 'b.iana-servers.net'],
        },
        confidence: 1,
        observedAt: '2025-11-20T10:15:02.000Z',
      },
    ]);
    expect(requests).toEqual([
      { path: '/bootstrap/domain/example.com', accept: 'application/rdap+json' },
      { path: '/registry/com/v1/domain/example.com', accept: 'application/rdap+json' },
    ]);
    expect(DOMAIN_INFO.summarize(outcome.answers[0]!.value as never)).toBe('registrar RESERVED-Internet Assigned Numbers Authority · created 1995-08-14 · expires 2026-08-13');
  });

  it('uses the per-TLD base URL, and normalizes dates to UTC ISO', async () => {
    const outcome = await ask('store.shop');
    expect(requests.map((r) => r.path)).toEqual(['/tld-shop/domain/store.shop']);
    expect(outcome.answers[0]?.value).toEqual({ created: '2021-03-01T10:00:00.500Z', nameservers: ['a.iana-servers.net', 'b.iana-servers.net'] });
  });

  it('answers nothing when the registry does not know the domain (404)', async () => {
    const outcome = await ask('unknown.com');
    expect(outcome).toMatchObject({ status: 'empty', answers: [] });
    expect(outcome.error).toBeUndefined();
  });

  it('answers nothing for a domain object without registration data', async () => {
    expect(await ask('bare.com')).toMatchObject({ status: 'empty', answers: [] });
  });

  it('fails clearly when rate-limited, when the server errs, or when the answer is not a domain', async () => {
    const busy = await ask('busy.com');
    expect(busy.status).toBe('failed');
    expect(busy.error).toBe(`RDAP server ${new URL(base).host} is rate-limiting queries (HTTP 429); it asks to retry after 30 s`);

    const broken = await ask('broken.com');
    expect(broken.status).toBe('failed');
    expect(broken.error).toBe(`RDAP server ${new URL(base).host} answered HTTP 503 (Service Unavailable: Service Unavailable (fake registry))`);

    const entity = await ask('entity.com');
    expect(entity.status).toBe('failed');
    expect(entity.error).toMatch(/not an RDAP domain object \(objectClassName: objectClassName must be "domain"\)/);
  });

  it('refuses settings that are not URLs', async () => {
    await expect(loadPluginForTest(folder, { baseUrl: 'rdap.org' })).rejects.toThrow(/baseUrl/);
    await expect(loadPluginForTest(folder, { tlds: { COM: 'https://rdap.verisign.com/com/v1/' } })).rejects.toThrow(/tlds/);
  });
});
