// The case HTTP API through the real HTTP server: API keys acting as their ACL groups, field errors naming
// each field, lists with filters and cursors, a case by number or id with its alerts, observables and sync
// state, alerts added, cases closed. No backend: `backend: {name: "taser", sync: "synced"}`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { alertWithCard, startCasesApp } from './slack-app.js';

const SOC_KEY = 'soc-api-key-0123456789abcdef';
const LEAD_KEY = 'lead-api-key-0123456789abcdef';
const READ_KEY = 'read-api-key-0123456789abcdef';

describe('case HTTP API', { timeout: 60_000 }, () => {
  let t: TestApp;
  const call = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const res = await fetch(`${t.taser.url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    t = await startCasesApp({
      file: { apiKeys: { soc: { keyEnv: 'SOC_KEY', groups: ['soc'] }, lead: { keyEnv: 'LEAD_KEY', groups: ['leads'] }, reader: { keyEnv: 'READ_KEY', groups: [] } } },
      env: { SOC_KEY, LEAD_KEY, READ_KEY },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await t?.slack.stop();
  });

  it('creates a case (201 with id, number, status and backend), naming every bad field otherwise', async () => {
    expect((await call('POST', '/api/v1/cases', undefined, { title: 'x', severity: 'low' })).status).toBe(401);
    const bad = await call('POST', '/api/v1/cases', SOC_KEY, { title: '', severity: 'urgent', team: 'Bad Team', alertIds: ['x'], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.problems.map((p: { field: string }) => p.field).sort()).toEqual(['alertIds.0', 'body', 'severity', 'team', 'title']);
    expect((await call('POST', '/api/v1/cases', SOC_KEY, '{not json')).status).toBe(400);
    expect((await call('POST', '/api/v1/cases', READ_KEY, { title: 'x', severity: 'low' })).status).toBe(403);

    const where = await alertWithCard(t, 'api01', { src_ip: '198.51.100.1' });
    const created = await call('POST', '/api/v1/cases', SOC_KEY, { title: 'From the API', description: 'd', severity: 'high', team: 'appsec', assignee: 'analyst@example.com', alertIds: [where.alert._id] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{24}$/), number: 1, status: 'open', link: 'https://soc.example.com/cases/1', backend: { name: 'taser', sync: 'synced' } });
    const stored = (await t.taser.cases.store.get(created.body.id))!;
    expect(stored).toMatchObject({ createdBy: 'api:soc', assignee: 'analyst@example.com', alertIds: [where.alert._id] });
  });

  it('shows a case by number or id, with its alerts, observables and sync state', async () => {
    const byNumber = await call('GET', '/api/v1/cases/1', READ_KEY);
    expect(byNumber.status).toBe(200);
    expect(byNumber.body).toMatchObject({ number: 1, title: 'From the API', alertIds: [expect.any(String)], backend: { name: 'taser', sync: 'synced' } });
    expect(byNumber.body.observables.map((o: { field: string; value: string }) => `${o.field}=${o.value}`).sort()).toEqual(['hostname=api01', 'src_ip=198.51.100.1']);
    expect((await call('GET', `/api/v1/cases/${byNumber.body.id}`, READ_KEY)).body.number).toBe(1);
    expect((await call('GET', '/api/v1/cases/404', READ_KEY)).status).toBe(404);
  });

  it('adds an alert; an unknown alert is a field error', async () => {
    const where = await alertWithCard(t, 'api02', { domain: 'c2.example' });
    const added = await call('POST', '/api/v1/cases/1/alerts', SOC_KEY, { alertId: where.alert._id });
    expect(added.status).toBe(200);
    expect(added.body.alertIds).toHaveLength(2);
    expect(added.body.observables.map((o: { value: string }) => o.value)).toContain('c2.example');
    const unknown = await call('POST', '/api/v1/cases/1/alerts', SOC_KEY, { alertId: '0123456789abcdef01234567' });
    expect(unknown).toMatchObject({ status: 400, body: { problems: [{ field: 'alertId', message: 'no alert 0123456789abcdef01234567' }] } });
    expect((await call('POST', '/api/v1/cases/1/alerts', SOC_KEY, {})).body.problems[0].field).toBe('alertId');
  });

  it('lists with filters and a cursor', async () => {
    for (const title of ['Second', 'Third']) expect((await call('POST', '/api/v1/cases', SOC_KEY, { title, severity: 'low' })).status).toBe(201);
    const page1 = await call('GET', '/api/v1/cases?status=open&limit=2', READ_KEY);
    expect(page1.body.cases.map((c: { number: number }) => c.number)).toEqual([3, 2]);
    const page2 = await call('GET', `/api/v1/cases?status=open&limit=2&cursor=${page1.body.next}`, READ_KEY);
    expect(page2.body.cases.map((c: { number: number }) => c.number)).toEqual([1]);
    expect(page2.body.next).toBeUndefined();
    expect((await call('GET', '/api/v1/cases?team=appsec', READ_KEY)).body.cases.map((c: { number: number }) => c.number)).toEqual([1]);
    expect((await call('GET', '/api/v1/cases?assignee=analyst@example.com', READ_KEY)).body.cases).toHaveLength(1);
    expect((await call('GET', '/api/v1/cases?artifact=src_ip%3D198.51.100.1', READ_KEY)).body.cases.map((c: { number: number }) => c.number)).toEqual([1]);
    expect((await call('GET', `/api/v1/cases?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, READ_KEY)).body.cases).toEqual([]);
    const bad = await call('GET', '/api/v1/cases?status=maybe&limit=0&since=yesterday', READ_KEY);
    expect(bad.status).toBe(400);
    expect(bad.body.problems.join(' ')).toMatch(/status[\s\S]*since|since[\s\S]*status/);
  });

  it("closes: the case team's leads only, a resolution from the list, a closed case not twice", async () => {
    expect((await call('POST', '/api/v1/cases/1/close', SOC_KEY, { resolution: 'true_positive' })).status).toBe(403);
    const bad = await call('POST', '/api/v1/cases/1/close', LEAD_KEY, { resolution: 'fixed', summary: 1 });
    expect(bad.body.problems.map((p: { field: string }) => p.field).sort()).toEqual(['resolution', 'summary']);
    const closed = await call('POST', '/api/v1/cases/1/close', LEAD_KEY, { resolution: 'true_positive', summary: 'contained' });
    expect(closed).toMatchObject({ status: 200, body: { status: 'closed', resolution: 'true_positive', summary: 'contained', closedBy: 'api:lead' } });
    expect((await call('POST', '/api/v1/cases/1/close', LEAD_KEY, { resolution: 'true_positive' })).status).toBe(409);
    expect((await call('GET', '/api/v1/cases?status=closed', READ_KEY)).body.cases.map((c: { number: number }) => c.number)).toEqual([1]);
  });
});
