// The inventory providers on real CSV files, alone and through Positron's fan-out and ranking: matching in
// canonical form, DHCP history ranked by freshness, asset lists above leases, reloading on change only, and
// broken or missing files reported as a failed provider naming the file and line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPluginForTest, type LoadedTestPlugin } from '../../test/support/plugin-harness.js';
import { fanOut, type ProviderAnswer, type ProviderOutcome } from '../../src/positron/fanout.js';
import { providersFrom } from '../../src/positron/wire.js';
import { rankAnswers } from '../../src/positron/rank.js';
import { HOSTNAME_TO_IP, IP_TO_HOSTNAME, type QueryType } from '../../src/positron/query-types.js';
import { parseObservedAt } from './inventory-file.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

const ASSETS = { path: relative(process.cwd(), fixture('assets.csv')), ipColumn: 'ip address', hostnameColumn: 'Hostname', kind: 'asset' };
const LEASES = { path: fixture('dhcp-leases.csv'), ipColumn: 'ip', hostnameColumn: 'hostname', observedAtColumn: 'lease_start', kind: 'dhcp' };

async function ask(plugin: LoadedTestPlugin, id: string, input: unknown): Promise<ProviderAnswer[]> {
  const provider = plugin.routes.providers.get(id);
  if (!provider) throw new Error(`no provider ${id}`);
  return provider.def.answer(input, { signal: new AbortController().signal, ctx: plugin.ctx });
}

async function positron(plugin: LoadedTestPlugin, query: QueryType, input: unknown): Promise<ProviderOutcome> {
  const providers = providersFrom(plugin.routes, new Map([['inventory', plugin.ctx]])).filter((p) => p.query === query.name);
  const [outcome] = await fanOut(query, providers, input, { defaultTimeoutMs: 10_000 });
  return outcome!;
}

describe('inventory plugin', () => {
  let plugin: LoadedTestPlugin;
  beforeAll(async () => {
    plugin = await loadPluginForTest(folder, { files: [ASSETS, LEASES] });
  });

  it('finds an asset by IP and by hostname, case-insensitively, from a quoted CRLF export', async () => {
    expect(await ask(plugin, 'inventory:ip-to-hostname', { ip: '10.20.0.10' })).toEqual([{ value: { hostname: 'web01.corp.example.com' }, confidence: 1 }]);
    expect(await ask(plugin, 'inventory:hostname-to-ip', { hostname: 'web01.corp.example.com.' })).toEqual([{ value: { ip: '10.20.0.10' }, confidence: 1 }]);
  });

  it('compares IPs in canonical form', async () => {
    // Stored as 2001:DB8:0:0::10 and 10.20.0.030.
    expect((await ask(plugin, 'inventory:ip-to-hostname', { ip: '2001:db8::10' })).map((a) => a.value)).toEqual([{ hostname: 'ns1.corp.example.com' }]);
    expect((await ask(plugin, 'inventory:ip-to-hostname', { ip: '::ffff:10.20.0.30' })).map((a) => a.value)).toEqual([
      { hostname: 'srv-db01.corp.example.com' },
      { hostname: 'printer-3f.corp.example.com' },
    ]);
    expect((await ask(plugin, 'inventory:hostname-to-ip', { hostname: 'ns1.corp.example.com' })).map((a) => a.value)).toEqual([{ ip: '2001:db8::10' }]);
  });

  it('answers every lease of an IP with its own observedAt, and Positron ranks the freshest first', async () => {
    const answers = await ask(plugin, 'inventory:ip-to-hostname', { ip: '10.20.0.15' });
    expect(answers).toEqual([
      { value: { hostname: 'laptop-alice.corp.example.com' }, confidence: 0.8, observedAt: '2026-10-01T08:00:00.000Z' },
      { value: { hostname: 'laptop-bob.corp.example.com' }, confidence: 0.8, observedAt: '2026-11-20T09:30:00.000Z' },
      { value: { hostname: 'laptop-alice.corp.example.com' }, confidence: 0.8, observedAt: '2026-11-01T08:00:00.000Z' },
    ]);
    const outcome = await positron(plugin, IP_TO_HOSTNAME, { ip: '10.20.0.15' });
    const ranked = rankAnswers(IP_TO_HOSTNAME, [outcome]);
    expect(ranked.map((r) => [r.summary, r.freshest])).toEqual([
      ['laptop-bob.corp.example.com', '2026-11-20T09:30:00.000Z'],
      ['laptop-alice.corp.example.com', '2026-11-01T08:00:00.000Z'],
    ]);
  });

  it('ranks an asset list above a stale lease of the same IP', async () => {
    const ranked = rankAnswers(IP_TO_HOSTNAME, [await positron(plugin, IP_TO_HOSTNAME, { ip: '10.20.0.30' })]);
    expect(ranked.map((r) => r.summary)).toEqual(['srv-db01.corp.example.com', 'printer-3f.corp.example.com']);
  });

  it('finds every address a host had, the newest lease first', async () => {
    const ranked = rankAnswers(HOSTNAME_TO_IP, [await positron(plugin, HOSTNAME_TO_IP, { hostname: 'Laptop-Alice.corp.example.com' })]);
    // 2026-11-22T07:45:00+01:00 is 06:45 UTC, still newer than the 10.20.0.15 leases.
    expect(ranked.map((r) => [r.summary, r.freshest])).toEqual([
      ['10.20.0.44', '2026-11-22T06:45:00.000Z'],
      ['10.20.0.15', '2026-11-01T08:00:00.000Z'],
    ]);
  });

  it('gives an empty answer for an address no file knows, and skips rows without an address', async () => {
    expect(await ask(plugin, 'inventory:ip-to-hostname', { ip: '192.0.2.1' })).toEqual([]);
    expect(await ask(plugin, 'inventory:hostname-to-ip', { hostname: 'laptop-spare.corp.example.com' })).toEqual([]);
  });

  it('honours a configured confidence', async () => {
    const custom = await loadPluginForTest(folder, { files: [{ ...LEASES, confidence: 0.3 }] });
    expect((await ask(custom, 'inventory:hostname-to-ip', { hostname: 'laptop-bob.corp.example.com' }))[0]).toMatchObject({ confidence: 0.3 });
  });

  it('reports a malformed file as a failed provider naming the file and the line', async () => {
    const broken = await loadPluginForTest(folder, { files: [ASSETS, { ...LEASES, path: fixture('broken-leases.csv') }] });
    const outcome = await positron(broken, IP_TO_HOSTNAME, { ip: '10.20.0.15' });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(`inventory file ${fixture('broken-leases.csv')}, line 3: a quoted field is never closed (a " is missing)`);
  });

  it('reports a missing file and a missing column clearly', async () => {
    const missing = await loadPluginForTest(folder, { files: [{ ...LEASES, path: fixture('no-such.csv') }] });
    expect((await positron(missing, IP_TO_HOSTNAME, { ip: '10.20.0.15' })).error).toBe(`inventory file ${fixture('no-such.csv')}: not found`);
    const wrongColumn = await loadPluginForTest(folder, { files: [{ ...LEASES, hostnameColumn: 'fqdn' }] });
    expect((await positron(wrongColumn, IP_TO_HOSTNAME, { ip: '10.20.0.15' })).error).toMatch(
      /dhcp-leases\.csv, line 1: no hostname column "fqdn" \(the header has: "ip", "hostname", "mac", "lease_start"\)/,
    );
  });

  it('refuses settings without files or with an unknown kind', async () => {
    await expect(loadPluginForTest(folder, { files: [] })).rejects.toThrow(/files.*at least one/s);
    await expect(loadPluginForTest(folder, { files: [{ ...LEASES, kind: 'ldap' }] })).rejects.toThrow(/kind/);
  });

  describe('a file that changes', () => {
    let dir: string;
    let path: string;
    let changing: LoadedTestPlugin;
    const write = async (rows: string[], mtime: Date) => {
      await writeFile(path, ['ip,hostname,seen', ...rows].join('\n') + '\n');
      await utimes(path, mtime, mtime);
    };
    const hostnames = async (ip: string) => (await ask(changing, 'inventory:ip-to-hostname', { ip })).map((a) => (a.value as { hostname: string }).hostname);

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'taser-inventory-'));
      path = join(dir, 'leases.csv');
      await write(['10.9.0.1,alpha.example.com,2026-11-01T00:00:00Z'], new Date('2026-11-01T00:00:00Z'));
      changing = await loadPluginForTest(folder, { files: [{ path, ipColumn: 'ip', hostnameColumn: 'hostname', observedAtColumn: 'seen', kind: 'dhcp' }] });
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it('is read once, and again only when its modification time changes', async () => {
      expect(await hostnames('10.9.0.1')).toEqual(['alpha.example.com']);

      // Same size, same modification time: the cached index answers (the file is not read per query).
      await write(['10.9.0.1,bravo.example.com,2026-11-01T00:00:00Z'], new Date('2026-11-01T00:00:00Z'));
      expect((await stat(path)).mtime.toISOString()).toBe('2026-11-01T00:00:00.000Z');
      expect(await hostnames('10.9.0.1')).toEqual(['alpha.example.com']);

      await utimes(path, new Date('2026-11-02T00:00:00Z'), new Date('2026-11-02T00:00:00Z'));
      expect(await hostnames('10.9.0.1')).toEqual(['bravo.example.com']);
    });

    it('fails while the file is broken and recovers when it is fixed', async () => {
      await write(['10.9.0.1,bravo.example.com,2026-11-01T00:00:00Z', '10.9.0.300,charlie.example.com,'], new Date('2026-11-03T00:00:00Z'));
      await expect(hostnames('10.9.0.1')).rejects.toThrow(`inventory file ${path}, line 3: "10.9.0.300" in column "ip" is not an IP address`);

      await write(['10.9.0.1,bravo.example.com,03/11/2026'], new Date('2026-11-04T00:00:00Z'));
      await expect(hostnames('10.9.0.1')).rejects.toThrow(/line 2: "03\/11\/2026" in column "seen" is not an ISO-8601 date-time/);

      await write(['10.9.0.1,bravo.example.com,2026-11-05T00:00:00Z', '10.9.0.2,Bad Name,'], new Date('2026-11-05T00:00:00Z'));
      await expect(hostnames('10.9.0.1')).rejects.toThrow(/line 3: "Bad Name" in column "hostname" is not a hostname/);

      await write(['10.9.0.1,delta.example.com,2026-11-06T00:00:00Z'], new Date('2026-11-06T00:00:00Z'));
      expect(await hostnames('10.9.0.1')).toEqual(['delta.example.com']);
    });
  });
});

describe('observedAt cells', () => {
  it('reads ISO-8601 dates and date-times (no zone = UTC) and Unix seconds', () => {
    expect(parseObservedAt('2026-11-24')).toBe('2026-11-24T00:00:00.000Z');
    expect(parseObservedAt('2026-11-24 10:05')).toBe('2026-11-24T10:05:00.000Z');
    expect(parseObservedAt('2026-11-24T10:05:06.123456Z')).toBe('2026-11-24T10:05:06.123Z');
    expect(parseObservedAt('2026-11-24T10:05:06-0500')).toBe('2026-11-24T15:05:06.000Z');
    expect(parseObservedAt('1767225600')).toBe('2026-01-01T00:00:00.000Z'); // (56 * 365 + 14 leap days) * 86400
  });

  it('refuses ambiguous or impossible dates', () => {
    for (const bad of ['11/24/2026', '2026-02-30', '2026-13-01', '2026-11-24T25:00', 'yesterday']) expect(parseObservedAt(bad), bad).toBeUndefined();
  });
});
