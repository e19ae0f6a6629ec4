// The console's pure parts: session cookies, the config section, the search query, keyset cursors, the
// histogram, CSV.
import { describe, expect, it } from 'vitest';
import { SessionCodec } from './session.js';
import { consoleConfigSchema, isProxyAddress, resolveConsoleSettings } from './config.js';
import { apiHref, parseSearch, parseSearchTime, searchHref } from './search-query.js';
import { bucketsOver, countHistogram, histogramSvg } from './histogram.js';
import { toCsv } from './search-run.js';
import { safeNext } from './router.js';
import { decodeCursor, encodeCursor } from '../store/keyset.js';
import { ConfigError } from '../app/errors.js';

const SECRET = 's'.repeat(40);

describe('session cookies', () => {
  it('round-trips, and refuses a changed payload, another key and an expired session', () => {
    let now = Date.parse('2026-11-30T00:00:00Z');
    const codec = new SessionCodec(SECRET, 3_600_000, () => now);
    const session = codec.create({ sub: 'U123', name: 'Ann', via: 'slack' });
    const cookie = codec.encode(session);
    expect(codec.decode(cookie)).toEqual(session);
    const [body, sig] = cookie.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...session, sub: 'UADMIN' })).toString('base64url');
    expect(codec.decode(`${tampered}.${sig}`)).toBeUndefined();
    expect(new SessionCodec('t'.repeat(40), 3_600_000, () => now).decode(cookie)).toBeUndefined();
    expect(codec.decode(`${body}`)).toBeUndefined();
    now += 3_600_001;
    expect(codec.decode(cookie)).toBeUndefined();
  });
});

describe('console config', () => {
  it('needs a way to sign in, valid proxy addresses, and a long enough session secret', () => {
    expect(consoleConfigSchema.safeParse({ enabled: true }).success).toBe(false);
    expect(consoleConfigSchema.safeParse({ enabled: true, trustedProxy: { addresses: ['10.0.0.0/33'] } }).success).toBe(false);
    const config = consoleConfigSchema.parse({ enabled: true, trustedProxy: { addresses: ['10.0.0.0/8', '::1'] } });
    expect(() => resolveConsoleSettings(config, { TASER_CONSOLE_SESSION_SECRET: 'short' })).toThrow(ConfigError);
    expect(() => resolveConsoleSettings(config, {})).toThrow(/TASER_CONSOLE_SESSION_SECRET/);
    const settings = resolveConsoleSettings(config, { TASER_CONSOLE_SESSION_SECRET: SECRET })!;
    expect(settings.trustedProxy!.header).toBe('x-forwarded-email');
    expect(isProxyAddress(settings.trustedProxy!.addresses, '10.2.3.4')).toBe(true);
    expect(isProxyAddress(settings.trustedProxy!.addresses, '::ffff:10.2.3.4')).toBe(true);
    expect(isProxyAddress(settings.trustedProxy!.addresses, '::1')).toBe(true);
    expect(isProxyAddress(settings.trustedProxy!.addresses, '11.0.0.1')).toBe(false);
    expect(resolveConsoleSettings(consoleConfigSchema.parse({}), {})).toBeUndefined();
  });

  it('asks for the OIDC client secret from the environment', () => {
    const config = consoleConfigSchema.parse({ enabled: true, oidc: { clientId: '1.2' } });
    expect(() => resolveConsoleSettings(config, { TASER_CONSOLE_SESSION_SECRET: SECRET })).toThrow(/SLACK_CLIENT_SECRET/);
    const settings = resolveConsoleSettings(config, { TASER_CONSOLE_SESSION_SECRET: SECRET, SLACK_CLIENT_SECRET: 'x' })!;
    expect(settings.oidc).toMatchObject({ clientId: '1.2', clientSecret: 'x', issuer: 'https://slack.com', jwksUrl: 'https://slack.com/openid/connect/keys' });
  });
});

describe('search query', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('reads ISO, datetime-local (UTC), dates and durations back from now', () => {
    expect(parseSearchTime('2026-11-24T08:00', now)?.toISOString()).toBe('2026-11-24T08:00:00.000Z');
    expect(parseSearchTime('2026-11-24', now)?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(parseSearchTime('7d', now)?.toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(parseSearchTime('soon', now)).toBeUndefined();
  });

  it('normalizes the artifact like stored artifacts, one field or any', () => {
    const one = parseSearch(new URLSearchParams('field=username&artifact=%20Alice%20'), now);
    expect(one.ok && one.search.artifact).toBe('username=alice');
    const any = parseSearch(new URLSearchParams('artifact=Alice'), now);
    expect(any.ok && any.search.artifact).toBe('alice');
  });

  it('names each bad field, and refuses unknown parameters and statuses of another kind', () => {
    const bad = parseSearch(new URLSearchParams('kind=cases&status=snoozed&severity=info&limit=9999&bogus=1'), now);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(Object.keys(bad.errors).sort()).toEqual(['limit', 'query', 'severity', 'status']);
    }
    const kind = parseSearch(new URLSearchParams('kind=cases&status=snoozed&severity=info'), now);
    expect(!kind.ok && Object.keys(kind.errors).sort()).toEqual(['severity', 'status']);
  });

  it('makes permalinks without defaults and with every filter', () => {
    expect(searchHref('/ui/search', { kind: 'alerts', limit: 50, rule: 'r 1', cursor: undefined })).toBe('/ui/search?rule=r+1');
    expect(searchHref('/ui/search', { kind: 'signals', limit: 10 }, { cursor: 'abc' })).toBe('/ui/search?kind=signals&limit=10&cursor=abc');
  });

  it('gives the same page as an HTTP API request (the JSON download): times resolved, the artifact normalized', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    const cursor = encodeCursor(now, 'x');
    const alerts = parseSearch(new URLSearchParams({ rule: 'r1', since: '1d', severity: 'high', field: 'username', artifact: 'Alice', before: cursor }), now);
    expect(alerts.ok && apiHref(alerts.search)).toBe(`/api/v1/alerts?since=2026-11-23T12%3A00%3A00.000Z&artifact=username%3Dalice&severity=high&limit=50&before=${cursor}&rule=r1`);
    const signals = parseSearch(new URLSearchParams({ kind: 'signals', type: 'port_scan', rule: 'ignored for signals' }), now);
    expect(signals.ok && apiHref(signals.search)).toBe('/api/v1/signals?limit=50&type=port_scan');
    const cases = parseSearch(new URLSearchParams({ kind: 'cases', status: 'open', team: 'SOC' }), now);
    expect(cases.ok && apiHref(cases.search)).toBe('/api/v1/cases?limit=50&team=soc&status=open');
    expect(parseSearch(new URLSearchParams({ cursor, before: cursor })).ok).toBe(false);
  });
});

describe('keyset cursors', () => {
  it('round-trip and refuse anything else', () => {
    expect(decodeCursor(encodeCursor(new Date(5), 'test/a'))).toEqual([5, 'test/a']);
    for (const bad of ['', '0', '-1', '9999999999', 'x'.repeat(401), Buffer.from('[1.5,"a"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });
});

describe('histogram', () => {
  const t = (m: number) => new Date(Date.UTC(2026, 10, 30, 0, m));
  // What the database counts (src/store/time-buckets.ts), over an array: open first and last buckets.
  const countIn = (times: Date[]) => async (inner: Date[]) =>
    Array.from({ length: inner.length + 1 }, (_, i) => times.filter((x) => (i === 0 || x >= inner[i - 1]!) && (i === inner.length || x < inner[i]!)).length);

  it('snaps round buckets over the range, counts each through the given count and draws links per bar', async () => {
    const b = bucketsOver(t(0), t(180));
    expect(b.widthMs).toBe(5 * 60_000);
    expect(b.inner).toHaveLength(36);
    expect(b.inner[0]).toEqual(t(5));
    const h = (await countHistogram({ from: t(0), to: t(180) }, async () => undefined, countIn([t(1), t(2), t(5), t(61), t(179)])))!;
    expect(h.from).toEqual(t(0));
    expect(h.total).toBe(5);
    expect(h.counts).toHaveLength(37);
    // t(5) is on an edge: the later bucket's.
    expect([h.counts[0], h.counts[1], h.counts[12], h.counts[35]]).toEqual([2, 1, 1, 1]);
    const svg = histogramSvg(h, (from) => `/ui/search?since=${from.toISOString()}&x=<y>`);
    expect(svg).toContain('<svg class="histogram"');
    expect(svg).toContain('&amp;x=&lt;y&gt;');
    expect(svg).not.toContain('<y>');
  });

  it('without a range spans the matches, and is absent when nothing matches', async () => {
    const times = [t(7), t(100)];
    const h = (await countHistogram({}, async () => ({ oldest: t(7), newest: t(100) }), countIn(times)))!;
    expect(h.from).toEqual(t(5));
    expect(h.total).toBe(2);
    expect(h.counts.at(-1)).toBe(1);
    await expect(countHistogram({ from: t(7) }, async () => undefined, countIn([]))).resolves.toBeUndefined();
  });
});

describe('CSV and links', () => {
  it('quotes, and defuses cells a spreadsheet would run as formulas', () => {
    expect(toCsv(['a', 'b'], [{ a: '=1+1', b: 'x,"y"' }, { a: 3 }])).toBe('a,b\r\n\'=1+1,"x,""y"""\r\n3,\r\n');
  });

  it('returns only to local console paths after sign-in', () => {
    expect(safeNext('/ui/search?x=1')).toBe('/ui/search?x=1');
    for (const bad of ['//evil.example/ui', 'https://evil.example', '/ui\\@evil', '/uix', undefined]) expect(safeNext(bad)).toBe('/ui');
  });
});

describe('Slack app manifest with the console', () => {
  it('asks for the OpenID Connect user scopes and the callback, and e-mail lookups for the proxy mode', async () => {
    const { buildManifest } = await import('../app/manifests.js');
    const manifest = buildManifest({ plugins: [], routes: { commands: [] }, mode: 'http', groups: {}, console: { redirectUrl: 'https://soc.example.com/ui/auth/callback', trustedProxy: true } });
    expect(manifest.oauth_config).toEqual({
      redirect_urls: ['https://soc.example.com/ui/auth/callback'],
      scopes: { bot: ['chat:write', 'users:read', 'users:read.email'], user: ['email', 'openid', 'profile'] },
    });
    const without = buildManifest({ plugins: [], routes: { commands: [] }, mode: 'http', groups: {} });
    expect(without.oauth_config).toEqual({ scopes: { bot: ['chat:write'] } });
  });
});
