// The dns providers against a real DNS server on 127.0.0.1 (dns-test-server.ts), through node:dns's real
// resolver: forward and reverse lookups, empty answers, server failures, a dead server and cancellation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPluginForTest, type LoadedTestPlugin } from '../../test/support/plugin-harness.js';
import { fanOut } from '../../src/positron/fanout.js';
import { providersFrom } from '../../src/positron/wire.js';
import { HOSTNAME_TO_IP, IP_TO_HOSTNAME } from '../../src/positron/query-types.js';
import type { ProviderAnswer } from '../../src/positron/fanout.js';
import { startDnsTestServer, type DnsTestServer } from './dns-test-server.js';

const folder = fileURLToPath(new URL('.', import.meta.url));

// 2001:db8::53 spelled out nibble by nibble, least significant first (RFC 3596 2.5).
const V6_PTR_NAME = '3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa';

async function ask(plugin: LoadedTestPlugin, id: string, input: unknown, signal = new AbortController().signal): Promise<ProviderAnswer[]> {
  const provider = plugin.routes.providers.get(id);
  if (!provider) throw new Error(`no provider ${id}`);
  return provider.def.answer(input, { signal, ctx: plugin.ctx });
}

describe('dns plugin', () => {
  let server: DnsTestServer;
  let plugin: LoadedTestPlugin;

  beforeAll(async () => {
    server = await startDnsTestServer({
      records: {
        A: { 'web01.corp.example.com': ['10.0.0.5', '10.0.0.6'], 'v4only.corp.example.com': ['10.0.0.7'] },
        AAAA: { 'web01.corp.example.com': ['2001:db8::5'] },
        PTR: {
          '5.0.0.10.in-addr.arpa': ['web01.corp.example.com'],
          [V6_PTR_NAME]: ['NS1.Corp.Example.com'],
        },
      },
      servfail: ['broken.corp.example.com'],
    });
    plugin = await loadPluginForTest(folder, { servers: [server.address], timeoutMs: 1000, tries: 1 });
  });
  afterAll(async () => server?.close());

  it('answers HOSTNAME_TO_IP with both the A and the AAAA records', async () => {
    const answers = await ask(plugin, 'dns:hostname-to-ip', { hostname: 'WEB01.corp.example.com' });
    expect(answers.map((a) => a.value)).toEqual([{ ip: '10.0.0.5' }, { ip: '10.0.0.6' }, { ip: '2001:db8::5' }]);
    expect(answers.every((a) => a.confidence === 1 && Number.isFinite(Date.parse(a.observedAt!)))).toBe(true);
    const asked = server.questions.filter((q) => q.name.toLowerCase() === 'web01.corp.example.com').map((q) => q.type);
    expect(asked.sort()).toEqual(['A', 'AAAA']);
  });

  it('keeps the A records when the name has no AAAA record (NODATA)', async () => {
    const answers = await ask(plugin, 'dns:hostname-to-ip', { hostname: 'v4only.corp.example.com.' });
    expect(answers.map((a) => a.value)).toEqual([{ ip: '10.0.0.7' }]);
  });

  it('answers IP_TO_HOSTNAME for IPv4 from in-addr.arpa', async () => {
    const answers = await ask(plugin, 'dns:ip-to-hostname', { ip: '10.0.0.5' });
    expect(answers.map((a) => a.value)).toEqual([{ hostname: 'web01.corp.example.com' }]);
    expect(server.questions.at(-1)).toMatchObject({ name: '5.0.0.10.in-addr.arpa', type: 'PTR' });
  });

  it('answers IP_TO_HOSTNAME for IPv6 from ip6.arpa nibbles, lower-cased', async () => {
    const answers = await ask(plugin, 'dns:ip-to-hostname', { ip: '2001:DB8:0:0::53' });
    expect(answers.map((a) => a.value)).toEqual([{ hostname: 'ns1.corp.example.com' }]);
    expect(server.questions.at(-1)).toMatchObject({ name: V6_PTR_NAME, type: 'PTR' });
  });

  it('looks an IPv4-mapped IPv6 address up as the IPv4 address', async () => {
    const answers = await ask(plugin, 'dns:ip-to-hostname', { ip: '::ffff:10.0.0.5' });
    expect(answers.map((a) => a.value)).toEqual([{ hostname: 'web01.corp.example.com' }]);
  });

  it('gives an empty answer for NXDOMAIN, forward and reverse', async () => {
    expect(await ask(plugin, 'dns:hostname-to-ip', { hostname: 'nosuch.corp.example.com' })).toEqual([]);
    expect(await ask(plugin, 'dns:ip-to-hostname', { ip: '192.0.2.77' })).toEqual([]);
    expect(server.questions.at(-1)).toMatchObject({ name: '77.2.0.192.in-addr.arpa', type: 'PTR' });
  });

  it('fails with the DNS error code on SERVFAIL, and Positron reports the provider as failed', async () => {
    await expect(ask(plugin, 'dns:hostname-to-ip', { hostname: 'broken.corp.example.com' })).rejects.toMatchObject({ code: 'ESERVFAIL' });
    const [outcome] = await fanOut(
      HOSTNAME_TO_IP,
      providersFrom(plugin.routes, new Map([['dns', plugin.ctx]])).filter((p) => p.query === 'HOSTNAME_TO_IP'),
      { hostname: 'broken.corp.example.com' },
      { defaultTimeoutMs: 10_000 },
    );
    expect(outcome).toMatchObject({ provider: 'dns:hostname-to-ip', status: 'failed' });
    expect(outcome!.error).toMatch(/broken\.corp\.example\.com.*ESERVFAIL/);
  });

  it('runs through Positron: the answers are valid query outputs', async () => {
    const [outcome] = await fanOut(
      IP_TO_HOSTNAME,
      providersFrom(plugin.routes, new Map([['dns', plugin.ctx]])).filter((p) => p.query === 'IP_TO_HOSTNAME'),
      { ip: '10.0.0.5' },
      { defaultTimeoutMs: 10_000 },
    );
    expect(outcome).toMatchObject({ status: 'answered', answers: [{ value: { hostname: 'web01.corp.example.com' }, confidence: 1 }] });
  });

  describe('a server that never answers', () => {
    let dead: DnsTestServer;
    beforeAll(async () => {
      dead = await startDnsTestServer({ silent: true, records: { A: { 'web01.corp.example.com': ['10.0.0.5'] } } });
    });
    afterAll(async () => dead?.close());

    it('fails with ETIMEOUT after its own timeout', async () => {
      const quick = await loadPluginForTest(folder, { servers: [dead.address], timeoutMs: 50, tries: 1 });
      await expect(ask(quick, 'dns:hostname-to-ip', { hostname: 'web01.corp.example.com' })).rejects.toMatchObject({ code: 'ETIMEOUT' });
      await expect(ask(quick, 'dns:ip-to-hostname', { ip: '10.0.0.5' })).rejects.toMatchObject({ code: 'ETIMEOUT' });
      expect(dead.questions.some((q) => q.type === 'PTR')).toBe(true);
    });

    it('is cancelled when the AbortSignal fires', async () => {
      // A timeout far longer than the test: only the abort can end this lookup.
      const patient = await loadPluginForTest(folder, { servers: [dead.address], timeoutMs: 60_000, tries: 1 });
      const controller = new AbortController();
      const received = dead.nextQuestion();
      const pending = ask(patient, 'dns:ip-to-hostname', { ip: '10.0.0.9' }, controller.signal);
      expect((await received).name).toBe('9.0.0.10.in-addr.arpa');
      controller.abort(new Error('query finished'));
      await expect(pending).rejects.toMatchObject({ code: 'ECANCELLED', message: expect.stringContaining('query finished') });
    });

    it('does not start a lookup when the signal is already aborted', async () => {
      const before = server.questions.length;
      const controller = new AbortController();
      controller.abort();
      await expect(ask(plugin, 'dns:hostname-to-ip', { hostname: 'web01.corp.example.com' }, controller.signal)).rejects.toMatchObject({ code: 'ECANCELLED' });
      expect(server.questions.length).toBe(before);
    });
  });

  it('refuses a server setting that is not an address', async () => {
    await expect(loadPluginForTest(folder, { servers: ['dns.example.com'] })).rejects.toThrow(/servers.*ip:port/s);
  });
});
