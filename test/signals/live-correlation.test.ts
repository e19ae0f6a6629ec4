// Live ingestion end to end: POST /signals/:source through the real HTTP server into the real database, the
// live correlator, and the HTTP API; for signals in event-time order it creates exactly the simulator's alerts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { parseRules } from '../../src/correlation/rule.js';
import { simulate } from '../../src/correlation/simulator.js';
import type { Signal } from '../../src/signals/signal.js';

const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const HMAC_SECRET = 'hmac-secret-for-tests-0123456789';
const API_KEY = 'api-key-for-tests-0123456789';
const ADMIN_KEY = 'admin-key-for-tests-0123456789';

const rules = [
  {
    id: 'duo-then-sso',
    name: 'Denied pushes and a new location',
    severity: 'medium',
    team: 'identity',
    parts: [
      { match: { type: 'duo_push_denied' }, count: 2 },
      { match: { type: 'sso_login_new_location' }, count: 1 },
    ],
    window: '4h',
    groupBy: ['username'],
  },
  { id: 'compact', expr: '[( 3 ids alert )] IN [ 10m ] WITH [ src_ip ] IN COMMON', severity: 'low' },
];

const sig = (id: string, type: string, at: string, artifacts: Record<string, unknown>, extra: Partial<Signal> = {}) => ({ id, type, occurredAt: at, artifacts, ...extra });

// The worked example of SEMANTICS.md, plus bob, plus an IDS burst with mixed IPv6 spellings.
const stream = [
  sig('d1', 'duo_push_denied', '2026-11-20T09:00:00Z', { username: 'alice' }),
  sig('d2', 'duo_push_denied', '2026-11-20T10:00:00Z', { username: 'Alice' }),
  sig('b1', 'duo_push_denied', '2026-11-20T10:30:00Z', { username: 'bob' }),
  sig('s1', 'sso_login_new_location', '2026-11-20T12:59:00Z', { username: 'ALICE' }, { severity: 'high', tags: ['Team:Ignored'] }),
  sig('d3', 'duo_push_denied', '2026-11-20T13:00:00Z', { username: 'alice' }),
  sig('d4', 'duo_push_denied', '2026-11-20T18:00:00Z', { username: 'alice' }),
  sig('i1', 'ids_alert', '2026-11-20T20:00:00Z', { src_ip: '2001:DB8:0:0:0:0:0:1' }),
  sig('i2', 'IDS alert', '2026-11-20T20:01:00Z', { src_ip: '2001:db8::1' }),
  sig('i3', 'ids-alert', '2026-11-20T20:02:00Z', { src_ip: '2001:db8:0::1' }, { severity: 'critical' }),
];

function hmacHeaders(body: string, secret = HMAC_SECRET, at = Math.floor(Date.now() / 1000)) {
  const sig = createHmac('sha256', secret).update(`${at}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) };
}


describe('live correlation', () => {
  let t: TestApp;
  const post = (body: string, headers: Record<string, string> = hmacHeaders(body), source = 'test') =>
    fetch(`${t.taser.url}/signals/${source}`, { method: 'POST', headers, body });
  const api = (path: string, key = API_KEY, method = 'GET') => fetch(`${t.taser.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR, sources],
      file: {
        plugins: { passthrough: { enabled: true } },
        sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
        rules,
        groups: { soc: { users: ['U0SOC001'] } },
        correlation: { admins: ['soc'] },
        apiKeys: { reader: { keyEnv: 'READER_KEY', groups: [] }, admin: { keyEnv: 'ADMIN_KEY', groups: ['soc'] } },
      },
      env: { TEST_SOURCE_SECRET: HMAC_SECRET, READER_KEY: API_KEY, ADMIN_KEY },
    });
  });
  afterAll(async () => t?.stop());

  it('creates exactly the simulator\'s alerts for signals sent in event-time order', async () => {
    const created: string[] = [];
    t.taser.correlation.events.on('created', (a) => created.push(a.ruleId));
    for (const s of stream) {
      const body = JSON.stringify(s);
      const res = await post(body);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
      // Correlation runs after the answer: wait until this signal is correlated before sending the next.
      await waitUntil(() => t.taser.correlation.live.idle(), `signal ${s.id} correlated`);
    }

    const dir = mkdtempSync(join(tmpdir(), 'taser-live-'));
    const file = join(dir, 'signals.jsonl');
    writeFileSync(file, stream.map((s) => JSON.stringify({ ...s, source: 'test' })).join('\n'));
    const expected = await simulate(parseRules(rules), file);

    const stored = await t.taser.correlation.alerts.collection.find({}).sort({ firstSeen: 1, ruleId: 1 }).toArray();
    const live = stored.map((a) => ({
      rule: a.ruleId,
      group: a.group,
      signals: a.signals.map((k) => k.replace(/^test\//, '')),
      firstSeen: a.firstSeen.toISOString(),
      lastSeen: a.lastSeen.toISOString(),
    }));
    expect(live).toEqual(expected.alerts);
    expect(live.map((a) => a.signals)).toEqual([['d1', 'd2', 's1', 'd3'], ['i1', 'i2', 'i3']]);
    expect(created).toEqual(['duo-then-sso', 'compact']);

    const alice = stored[0]!;
    expect(alice.severity).toBe('high'); // the rule's medium raised to the highest signal's
    expect(alice.team).toBe('identity'); // the rule's team wins over a signal tag
    expect(alice.active).toBe(false); // d4 came after keepAlive: the episode is over
    expect(alice.history.map((h) => h.kind)).toEqual(['created', 'appended', 'ended']);
    expect(stored[1]!.group).toEqual({ src_ip: '2001:db8::1' });
    expect(stored[1]!.severity).toBe('critical');
  });

  it('a redelivered signal is reported as a duplicate and never counted again', async () => {
    const body = JSON.stringify(stream[0]);
    const res = await post(body);
    expect(await res.json()).toEqual({ accepted: 0, duplicates: 1 });
    await waitUntil(() => t.taser.correlation.live.idle(), 'the redelivery handled');
    const alice = await t.taser.correlation.alerts.collection.findOne({ ruleId: 'duo-then-sso' });
    expect(alice!.signalCount).toBe(4);
  });

  it('refuses forged, stale and unsigned requests, bad bodies, oversized bodies and unknown sources, storing nothing', async () => {
    const body = JSON.stringify(sig('x1', 'duo_push_denied', '2026-11-21T09:00:00Z', { username: 'carol' }));
    expect((await post(body, hmacHeaders(body, 'wrong-secret'))).status).toBe(401);
    expect((await post(body, hmacHeaders(body, HMAC_SECRET, Math.floor(Date.now() / 1000) - 3600))).status).toBe(401);
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(body, hmacHeaders(body), 'nope')).status).toBe(404);

    const bad = JSON.stringify([sig('x2', 'duo_push_denied', '2017-09-31T22:23:07Z', { username: 'carol' }), { id: 'x3' }]);
    const res = await post(bad);
    expect(res.status).toBe(400);
    const problems = ((await res.json()) as { problems: string[] }).problems;
    expect(problems.some((p) => p.startsWith('event 0: occurredAt'))).toBe(true);
    expect(problems.some((p) => p.startsWith('event 1: type'))).toBe(true);

    const huge = JSON.stringify({ ...sig('x4', 't', '2026-11-21T09:00:00Z', {}), title: 'x'.repeat(1024 * 1024) });
    expect((await post(huge)).status).toBe(413);
    expect(await t.taser.correlation.signals.collection.countDocuments({ _id: { $in: ['test/x1', 'test/x2', 'test/x3', 'test/x4'] } })).toBe(0);
  });

  it('accepts NDJSON batches and stores every line', async () => {
    const lines = [sig('n1', 'noise', '2026-11-22T09:00:00Z', { username: 'dave' }), sig('n2', 'noise', '2026-11-22T09:01:00Z', { username: 'dave' })];
    const body = lines.map((l) => JSON.stringify(l)).join('\n');
    const res = await post(body, { ...hmacHeaders(body), 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0 });
  });

  it('searches alerts and signals over the HTTP API, paginated, with an API key', async () => {
    expect((await api('/alerts', 'not-a-key')).status).toBe(401);
    const byArtifact = (await (await api('/alerts?artifact=username%3DALICE')).json()) as { alerts: { rule: string }[] };
    expect(byArtifact.alerts.map((a) => a.rule)).toEqual(['duo-then-sso']);
    const bare = (await (await api('/alerts?artifact=2001:db8:0:0::1')).json()) as { alerts: { rule: string }[] };
    expect(bare.alerts.map((a) => a.rule)).toEqual(['compact']);
    const team = (await (await api('/alerts?team=Identity&status=open')).json()) as { alerts: unknown[] };
    expect(team.alerts).toHaveLength(1);
    const page1 = (await (await api('/alerts?limit=1')).json()) as { alerts: { rule: string }[]; next?: string };
    expect(page1.alerts).toHaveLength(1);
    const page2 = (await (await api(`/alerts?limit=1&cursor=${page1.next}`)).json()) as { alerts: { rule: string }[]; next?: string };
    expect(page2.alerts[0]!.rule).not.toBe(page1.alerts[0]!.rule);
    expect(page2.next).toBeUndefined();
    const since = (await (await api('/alerts?since=2026-11-20T19:00:00Z')).json()) as { alerts: { rule: string }[] };
    expect(since.alerts.map((a) => a.rule)).toEqual(['compact']);

    const badQuery = await api('/alerts?status=sleeping&since=yesterday');
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { problems: string[] }).problems.join('\n')).toMatch(/status[\s\S]*since/);

    const signals = (await (await api('/signals?artifact=username%3Dalice&type=duo_push_denied')).json()) as { signals: { id: string }[] };
    expect(signals.signals.map((s) => s.id)).toEqual(['d4', 'd3', 'd2', 'd1']);
  });

  it('lists rules and lets only admin keys switch them; a disabled rule stops firing', async () => {
    const list = (await (await api('/rules')).json()) as { rules: { id: string; version: number; enabled: boolean }[] };
    expect(list.rules.map((r) => [r.id, r.version, r.enabled])).toEqual([['compact', 1, true], ['duo-then-sso', 1, true]]);
    expect((await api('/rules/compact/disable', API_KEY, 'POST')).status).toBe(403);
    expect((await api('/rules/nope/disable', ADMIN_KEY, 'POST')).status).toBe(404);
    const off = await api('/rules/compact/disable', ADMIN_KEY, 'POST');
    expect(off.status).toBe(200);
    expect(((await off.json()) as { enabled: boolean }).enabled).toBe(false);

    // The rule store caches enabled rules for a few seconds (other replicas see a switch that soon): wait it out.
    await waitUntil(async () => !(await t.taser.correlation.rules.active()).some((r) => r.rule.id === 'compact'), 'rule switched off', 8_000);
    for (const [i, at] of ['2026-11-23T10:00:00Z', '2026-11-23T10:01:00Z', '2026-11-23T10:02:00Z'].entries()) {
      const body = JSON.stringify(sig(`j${i}`, 'ids_alert', at, { src_ip: '10.9.9.9' }));
      expect((await post(body)).status).toBe(202);
    }
    await waitUntil(() => t.taser.correlation.live.idle(), 'burst correlated');
    expect(await t.taser.correlation.alerts.collection.countDocuments({ group: { src_ip: '10.9.9.9' } })).toBe(0);
  });
});
