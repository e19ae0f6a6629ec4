// The rules console's HTTP API against a whole taser (real database, real HTTP): field pickers from what was
// stored, rules created and edited as versions, switched, refused to non-admins, every change audited,
// enrichment edited and followed by the Enricher, and simulations whose report is the backtest's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';
import { backtestRule } from '../../src/correlation/backtest.js';
import { parseRule } from '../../src/correlation/rule.js';
import type { Signal } from '../../src/signals/signal.js';

const ADMIN_KEY = 'rules-console-admin-key-0001';
const READ_KEY = 'rules-console-reader-key-0001';
const DAY = 86_400_000;

describe('rules console API', () => {
  let t: TestApp;
  const now = Date.now();
  const at = (daysAgo: number, minutes: number) => new Date(now - daysAgo * DAY + minutes * 60_000).toISOString();
  const call = async (method: string, path: string, key?: string, body?: unknown) => {
    const res = await fetch(`${t.taser.url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const sig = (id: string, type: string, user: string, time: string, extra: Record<string, string> = {}): Signal => ({ id, source: 'duo', type, occurredAt: time, artifacts: { username: user, ...extra } });

  beforeAll(async () => {
    t = await startTestApp({
      file: {
        groups: { secops: { users: ['U0ADMIN01'] } },
        correlation: { admins: ['secops'] },
        apiKeys: { admin: { keyEnv: 'ADMIN_KEY', groups: ['secops'] }, reader: { keyEnv: 'READ_KEY', groups: [] } },
        enrichment: [{ type: 'ids_alert', query: 'IP_TO_HOSTNAME', from: 'src_ip', to: 'src_hostname', field: 'hostname' }],
      },
      env: { ADMIN_KEY, READ_KEY },
    });
    // alice fires twice, bob once (three pushes), carol never; plus logins with a country.
    await t.taser.correlation.signals.insert([
      sig('a1', 'duo_push_denied', 'alice', at(3, 0)), sig('a2', 'duo_push_denied', 'Alice', at(3, 10)),
      sig('a3', 'duo_push_denied', 'alice', at(2, 0)), sig('a4', 'duo_push_denied', 'alice', at(2, 5)),
      sig('b1', 'duo_push_denied', 'bob', at(2, 1)), sig('b2', 'duo_push_denied', 'bob', at(2, 2)), sig('b3', 'duo_push_denied', 'bob', at(2, 3)),
      sig('c1', 'duo_push_denied', 'carol', at(1, 0)),
      sig('l1', 'sso_login', 'alice', at(1, 5), { country: 'FR' }), sig('l2', 'sso_login', 'bob', at(1, 6), { country: 'FR' }), sig('l3', 'sso_login', 'bob', at(1, 7), { country: 'DE' }),
    ]);
  }, 300_000);
  afterAll(async () => t?.stop());

  it('field pickers: the types, sources, fields and frequent values stored signals contain', async () => {
    expect((await call('GET', '/api/v1/fields?since=30d')).status).toBe(401);
    expect((await call('GET', '/api/v1/fields?since=soon', READ_KEY)).status).toBe(400);
    const { status, body } = await call('GET', '/api/v1/fields?since=30d&top=2', READ_KEY);
    expect(status).toBe(200);
    expect(body.signals).toBe(11);
    expect(body.types).toEqual([{ value: 'duo_push_denied', count: 8 }, { value: 'sso_login', count: 3 }]);
    expect(body.sources).toEqual([{ value: 'duo', count: 11 }]);
    const username = body.fields.find((f: { field: string }) => f.field === 'username');
    expect(username).toEqual({ field: 'username', count: 11, values: [{ value: 'alice', count: 5 }, { value: 'bob', count: 5 }] });
    expect(body.fields.find((f: { field: string }) => f.field === 'country').values).toEqual([{ value: 'fr', count: 2 }, { value: 'de', count: 1 }]);
    // A period before the signals holds none.
    expect((await call('GET', `/api/v1/fields?since=${encodeURIComponent(at(60, 0))}&until=${encodeURIComponent(at(40, 0))}`, READ_KEY)).body.signals).toBe(0);
  });

  const pushes = { id: 'pushes', parts: [{ match: { type: 'duo_push_denied' }, count: 2 }], window: '1h', groupBy: ['username'] };

  it('validates a rule, naming each problem by field path', async () => {
    const bad = await call('POST', '/api/v1/rules/validate', READ_KEY, { definition: { id: 'x', parts: [{ match: { type: 'a' }, count: 0 }], window: 'soon' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['parts.0.count', 'window']);
    const expr = await call('POST', '/api/v1/rules/validate', READ_KEY, { definition: { id: 'x', expr: '[(2 duo push denied)] IN [1 hour] WITH [username] IN COMMON' } });
    expect(expr.status).toBe(200);
    expect(expr.body.rule.windowMs).toBe(3_600_000);
    const badExpr = await call('POST', '/api/v1/rules/validate', READ_KEY, { definition: { id: 'x', expr: '(2 a) IN 1h' } });
    expect(badExpr.body.issues[0].path).toBe('expr');
    expect((await call('POST', '/api/v1/rules/validate', READ_KEY, { nope: 1 })).status).toBe(400);
  });

  it('creates, edits as new versions, switches, refuses non-admins with 403, and audits everything', async () => {
    const denied = await call('POST', '/api/v1/rules', READ_KEY, { definition: pushes });
    expect(denied.status).toBe(403);
    expect(await t.taser.correlation.rules.get('pushes')).toBeUndefined();

    const created = await call('POST', '/api/v1/rules', ADMIN_KEY, { definition: pushes });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'pushes', version: 1, enabled: true, updatedBy: 'api:admin' });
    expect((await call('POST', '/api/v1/rules', ADMIN_KEY, { definition: pushes })).status).toBe(409);

    const invalid = await call('PUT', '/api/v1/rules/pushes', ADMIN_KEY, { definition: { ...pushes, window: 'later' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.issues).toEqual([{ path: 'window', message: expect.stringContaining('duration') }]);
    expect((await call('PUT', '/api/v1/rules/pushes', ADMIN_KEY, { definition: { ...pushes, id: 'other' } })).body.issues[0].path).toBe('id');
    expect((await call('PUT', '/api/v1/rules/missing', ADMIN_KEY, { definition: { ...pushes, id: 'missing' } })).status).toBe(404);

    const compact = { id: 'pushes', expr: '[(3 duo push denied)] IN [2 hours] WITH [username] IN COMMON' };
    const edited = await call('PUT', '/api/v1/rules/pushes', ADMIN_KEY, { definition: compact, baseVersion: 1 });
    expect(edited.status).toBe(200);
    expect(edited.body.version).toBe(2);
    // An edit from a stale version is refused: someone saved in between.
    expect((await call('PUT', '/api/v1/rules/pushes', ADMIN_KEY, { definition: pushes, baseVersion: 1 })).status).toBe(409);
    const active = (await t.taser.correlation.rules.active()).find((r) => r.rule.id === 'pushes')!;
    expect([active.version, active.compiled.key, active.rule.windowMs]).toEqual([2, 'pushes@2', 7_200_000]);

    const versions = await call('GET', '/api/v1/rules/pushes/versions', READ_KEY);
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    expect((await call('POST', '/api/v1/rules/pushes/disable', READ_KEY)).status).toBe(403);
    expect((await call('POST', '/api/v1/rules/pushes/disable', ADMIN_KEY)).body.enabled).toBe(false);
    // An edit without `enabled` keeps the switch.
    expect((await call('PUT', '/api/v1/rules/pushes', ADMIN_KEY, { definition: pushes })).body).toMatchObject({ version: 3, enabled: false });
    expect((await call('POST', '/api/v1/rules/pushes/enable', ADMIN_KEY)).body.enabled).toBe(true);

    const audit = await call('GET', '/api/v1/rule-audit?subject=pushes', READ_KEY);
    expect(audit.body.records.map((r: { action: string; outcome: string; actor: string; version?: number }) => [r.action, r.outcome, r.actor, r.version])).toEqual([
      ['enabled', 'done', 'api:admin', undefined],
      ['edited', 'done', 'api:admin', 3],
      ['disabled', 'done', 'api:admin', undefined],
      ['disabled', 'denied', 'api:reader', undefined],
      ['edited', 'done', 'api:admin', 2],
      ['created', 'done', 'api:admin', 1],
      ['created', 'denied', 'api:reader', undefined],
    ]);
    expect(audit.body.records[4]).toMatchObject({ before: pushes, after: compact });
    expect(t.logs.some((l) => l.audit === 'rule_change_denied' && l.actor === 'api:reader')).toBe(true);
  });

  it('keeps a rule saved here across a restart of the config sync (the file only wins when it changes)', async () => {
    const store = t.taser.correlation.rules;
    expect(await store.syncFromConfig([])).toEqual({ added: [], changed: [], removed: [] });
    expect((await store.get('pushes'))!.version).toBe(3);
  });

  it('edits the enrichment rules: validated (the query must exist), versioned, audited, followed by the Enricher', async () => {
    const initial = await call('GET', '/api/v1/enrichment', READ_KEY);
    expect(initial.body).toMatchObject({ version: 1, updatedBy: 'config', rules: [{ query: 'IP_TO_HOSTNAME', from: 'src_ip' }] });
    const rules = [{ source: 'suricata', type: 'ids_alert', query: 'IP_TO_HOSTNAME', from: 'dest_ip', to: 'dest_hostname' }];
    expect((await call('PUT', '/api/v1/enrichment', READ_KEY, { rules })).status).toBe(403);
    const bad = await call('PUT', '/api/v1/enrichment', ADMIN_KEY, { rules: [{ query: 'NO_SUCH_QUERY', from: 'a', to: 'b' }, { query: 'lower', from: '', to: 'b' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['rules.1.from', 'rules.1.query']);
    const bad2 = await call('PUT', '/api/v1/enrichment', ADMIN_KEY, { rules: [{ query: 'NO_SUCH_QUERY', from: 'a', to: 'b' }] });
    expect(bad2.body.issues).toEqual([{ path: 'rules.0.query', message: expect.stringContaining('no Positron query NO_SUCH_QUERY') }]);
    const saved = await call('PUT', '/api/v1/enrichment', ADMIN_KEY, { rules, baseVersion: 1 });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ version: 2, rules, updatedBy: 'api:admin' });
    expect((await call('PUT', '/api/v1/enrichment', ADMIN_KEY, { rules, baseVersion: 1 })).status).toBe(409);
    const audit = await call('GET', '/api/v1/rule-audit?subject=enrichment', READ_KEY);
    expect(audit.body.records.map((r: { outcome: string }) => r.outcome)).toEqual(['done', 'denied']);
    // The same file at the next start keeps the edit.
    await t.taser.rulesConsole.enrichment.syncFromConfig([{ type: 'ids_alert', query: 'IP_TO_HOSTNAME', from: 'src_ip', to: 'src_hostname', field: 'hostname' }]);
    expect((await t.taser.rulesConsole.enrichment.current())!.version).toBe(2);
    // Every replica's Enricher follows the stored set.
    await waitUntil(() => (t.taser.correlation.enricher as unknown as { rules: { rule: unknown }[] }).rules.some((r) => (r.rule as { to: string }).to === 'dest_hostname'), 'enricher follows the saved set', 15_000);
  });

  it('simulates a draft as a job whose report is the backtest of `taser simulate --rule --since`, with sample cards', async () => {
    const since = at(30, 0);
    const until = new Date(now).toISOString();
    const bad = await call('POST', '/api/v1/simulations', READ_KEY, { definition: { id: 'd', parts: [], window: '1h' }, since });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('parts');
    expect((await call('POST', '/api/v1/simulations', READ_KEY, { since })).status).toBe(400);

    const started = await call('POST', '/api/v1/simulations', READ_KEY, { definition: { ...pushes, id: 'draft', template: 'identity' }, since, until });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    await t.taser.rulesConsole.simulations.settled(id);
    const { body } = await call('GET', `/api/v1/simulations/${id}`, READ_KEY);
    expect(body.status).toBe('done');
    const expected = await backtestRule(t.taser.database.db, parseRule({ ...pushes, id: 'draft', template: 'identity' }, 'draft'), new Date(since), new Date(until));
    expect(body.report).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(body.report.alerts).toBe(3);
    expect(body.progress.read).toBe(8 + 3);
    await waitUntil(async () => (await call('GET', `/api/v1/simulations/${id}`, READ_KEY)).body.progress.total === 11, 'total counted');
    expect(body.samples).toHaveLength(3);
    const bobs = body.samples.find((s: { group: { username: string } }) => s.group.username === 'bob');
    expect(bobs.signalCount).toBe(3);
    expect(JSON.stringify(bobs.message.blocks)).toContain('bob');

    // A stored rule by id.
    const stored = await call('POST', '/api/v1/simulations', READ_KEY, { ruleId: 'pushes', since, until });
    await t.taser.rulesConsole.simulations.settled(stored.body.id);
    expect((await call('GET', `/api/v1/simulations/${stored.body.id}`, READ_KEY)).body.report.rule).toBe('pushes');
    expect((await call('POST', '/api/v1/simulations', READ_KEY, { ruleId: 'nope', since })).status).toBe(404);
    expect((await call('GET', '/api/v1/simulations/not-a-uuid', READ_KEY)).status).toBe(400);
  });

  it('cancels a running simulation between batches', async () => {
    const many: Signal[] = Array.from({ length: 2_500 }, (_, i) => sig(`m${i}`, 'bulk_event', `u${i % 50}`, at(5, i / 100)));
    for (let i = 0; i < many.length; i += 500) await t.taser.correlation.signals.insert(many.slice(i, i + 500));
    const started = await call('POST', '/api/v1/simulations', READ_KEY, { definition: { id: 'bulk', parts: [{ match: { type: 'bulk_event' }, count: 2 }], window: '1h', groupBy: ['username'] }, since: '30d' });
    const id = started.body.id as string;
    expect((await call('DELETE', `/api/v1/simulations/${id}`, READ_KEY)).status).toBe(202);
    await t.taser.rulesConsole.simulations.settled(id);
    const { body } = await call('GET', `/api/v1/simulations/${id}`, READ_KEY);
    expect(body.status).toBe('cancelled');
    expect(body.report).toBeUndefined();
    expect((await call('DELETE', '/api/v1/simulations/00000000-0000-4000-8000-000000000000', READ_KEY)).status).toBe(404);
  }, 120_000);
});
