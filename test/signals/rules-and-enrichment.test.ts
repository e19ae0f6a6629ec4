// Rule versions (a changed rule starts from fresh state; a switch survives a restart) and enrichment through
// Positron before correlation, against the real database and a whole taser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { openTestDatabase } from '../support/db.js';
import { waitUntil } from '../support/wait.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { RuleStore } from '../../src/correlation/rule-store.js';
import { RuleError } from '../../src/correlation/rule.js';

const providers = fileURLToPath(new URL('../fixtures/plugins/providers', import.meta.url));
const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const TOKEN = 'enrichment-source-token-0123';

describe('rule versions', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('ruleversions');
  });
  afterAll(async () => database?.drop());

  const base = { id: 'r1', parts: [{ match: { type: 'a' }, count: 2 }], window: '1h', groupBy: ['username'] };

  it('stores new rules as v1, a changed definition as a new version with a new state key, and marks removed ones', async () => {
    const store = new RuleStore(database.db);
    expect(await store.syncFromConfig([base, { ...base, id: 'r2' }])).toEqual({ added: ['r1', 'r2'], changed: [], removed: [] });
    const v1 = (await store.active()).find((r) => r.rule.id === 'r1')!;
    expect([v1.version, v1.compiled.key]).toEqual([1, 'r1@1']);

    // Unchanged: nothing happens, and an operator's switch survives the restart.
    await store.setEnabled('r2', false, 'U0LEAD001');
    expect(await store.syncFromConfig([base, { ...base, id: 'r2' }])).toEqual({ added: [], changed: [], removed: [] });
    expect((await store.get('r2'))!.enabled).toBe(false);

    // Changed: v2, whose state key differs, so the old version's free signals never count toward it.
    expect(await store.syncFromConfig([{ ...base, window: '2h' }])).toEqual({ added: [], changed: ['r1'], removed: ['r2'] });
    const v2 = (await store.active()).find((r) => r.rule.id === 'r1')!;
    expect([v2.version, v2.compiled.key, v2.rule.windowMs]).toEqual([2, 'r1@2', 7_200_000]);
    expect(await store.get('r2')).toBeUndefined();
    expect(await store.versions.countDocuments({ ruleId: 'r1' })).toBe(2);
  });

  it('refuses an invalid rule naming the rule and the field, storing nothing', async () => {
    const store = new RuleStore(database.db);
    const before = await store.rules.countDocuments({});
    await expect(store.syncFromConfig([{ ...base, id: 'bad', window: 'soon' }])).rejects.toThrow(RuleError);
    await expect(store.syncFromConfig([{ ...base, id: 'bad', window: 'soon' }])).rejects.toThrow(/rule "bad": window/);
    expect(await store.rules.countDocuments({})).toBe(before);
  });
});

describe('enrichment', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR, providers, sources],
      file: {
        plugins: { passthrough: { enabled: true }, 'static-hosts': { enabled: true, hosts: { '10.1.2.3': 'web01.corp.example', '10.1.2.4': 'web01.corp.example' } } },
        sources: { test: { auth: { type: 'bearer', tokenEnv: 'TEST_TOKEN' } } },
        enrichment: [{ type: 'ids_alert', query: 'IP_TO_HOSTNAME', from: 'src_ip', to: 'src_hostname', field: 'hostname' }],
        // Two alerts from two IPs of one host: only the hostname that enrichment adds can group them.
        rules: [{ id: 'host-burst', parts: [{ match: { type: 'ids_alert' }, count: 2 }], window: '10m', groupBy: ['src_hostname'] }],
      },
      env: { TEST_TOKEN: TOKEN },
    });
  });
  afterAll(async () => t?.stop());

  it('adds artifacts through Positron before correlation, stores them, and audits the lookups', async () => {
    const post = (body: unknown) =>
      fetch(`${t.taser.url}/signals/test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ id: 'e1', type: 'ids_alert', occurredAt: '2026-11-24T10:00:00Z', artifacts: { src_ip: '10.1.2.3' } })).status).toBe(202);
    expect((await post({ id: 'e2', type: 'ids_alert', occurredAt: '2026-11-24T10:01:00Z', artifacts: { src_ip: '10.1.2.4' } })).status).toBe(202);
    expect((await post({ id: 'e3', type: 'ids_alert', occurredAt: '2026-11-24T10:02:00Z', artifacts: { src_ip: '10.9.9.9' } })).status).toBe(202);

    await waitUntil(() => t.taser.correlation.live.idle(), 'signals correlated');
    const stored = await t.taser.correlation.signals.collection.findOne({ _id: 'test/e1' });
    expect(stored!.signal.artifacts.src_hostname).toBe('web01.corp.example');
    expect(stored!.artifactValues).toContain('src_hostname=web01.corp.example');
    // No answer for 10.9.9.9: the signal is correlated as it is.
    expect((await t.taser.correlation.signals.collection.findOne({ _id: 'test/e3' }))!.signal.artifacts.src_hostname).toBeUndefined();

    const alerts = await t.taser.correlation.alerts.collection.find({}).toArray();
    expect(alerts.map((a) => [a.group, a.signals])).toEqual([[{ src_hostname: 'web01.corp.example' }, ['test/e1', 'test/e2']]]);
    const audit = await t.taser.database.db.collection('positron_audit').find({ caller: 'system:enrichment' }).toArray();
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });
});
