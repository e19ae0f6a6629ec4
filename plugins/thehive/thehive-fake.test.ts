// The TheHive fake keeps to the contract (EXTERNAL_APIS.md §1) where the adapter's tests do not reach: auth
// and error shapes, 201/204 answers, the query API's operators and count, and each version's own routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTheHiveFake, type TheHiveFake } from './thehive-fake.js';

describe.each([5, 4] as const)('TheHive fake, version %i', (version) => {
  let fake: TheHiveFake;
  const call = async (method: string, path: string, body?: unknown, key = fake.apiKey) => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const query = (steps: unknown[]) => call('POST', '/api/v1/query?name=test', { query: steps });

  beforeAll(async () => {
    fake = await startTheHiveFake({ version, password: 'secret' });
  });
  afterAll(async () => fake?.stop());

  it('answers a wrong key with 401 AuthenticationError', async () => {
    expect(await call('GET', '/api/v1/customField', undefined, 'nope')).toEqual({ status: 401, body: { type: 'AuthenticationError', message: 'Authentication failure' } });
  });

  it('takes Basic auth as well as the API key', async () => {
    const basic = `Basic ${Buffer.from('taser@example.com:secret').toString('base64')}`;
    const res = await fetch(`${fake.url}/api/v1/customField`, { headers: { authorization: basic } });
    expect(res.status).toBe(200);
  });

  it("adds alert observables on the version's route, and promote or merge brings them into the case", async () => {
    const route = version === 5 ? 'observable' : 'artifact';
    const newAlert = async (sourceRef: string) => {
      const a = (await call('POST', '/api/v1/alert', { type: 't', source: 'obs', sourceRef, title: `alert ${sourceRef}`, description: 'd' })).body as { _id: string };
      expect((await call('POST', `/api/v1/alert/${a._id}/${route}`, { dataType: 'domain', data: ['a.example', `${sourceRef}.example`] })).status).toBe(201);
      return a;
    };
    expect((await call('POST', `/api/v1/alert/~1/${version === 5 ? 'artifact' : 'observable'}`, { dataType: 'ip', data: '1.1.1.1' })).status).toBe(404);
    const first = await newAlert(`p-${version}`);
    const promoted = await call('POST', version === 5 ? `/api/v1/alert/${first._id}/case` : `/api/alert/${first._id}/createCase`, {});
    expect(promoted).toMatchObject({ status: 201, body: { title: `alert p-${version}` } });
    const caseId = (promoted.body as { _id: string })._id;
    const second = await newAlert(`m-${version}`);
    const merge = version === 5 ? `/api/v1/alert/${second._id}/merge/${caseId}` : `/api/alert/${second._id}/merge/${caseId}`;
    expect((await call('POST', merge)).status).toBe(200);
    expect(fake.observables(caseId).map((o) => o.data).sort()).toEqual(['a.example', `m-${version}.example`, `p-${version}.example`]);
  });

  it('creates with 201, patches with 204 and no body, and finds by number', async () => {
    const created = await call('POST', '/api/v1/case', { title: 'One', description: 'd', tags: ['a', 'b'] });
    expect(created.status).toBe(201);
    const c = created.body as { _id: string; number: number; _type: string };
    expect(c._type).toBe('Case');
    expect(await call('PATCH', `/api/v1/case/${c._id}`, { severity: 4 })).toEqual({ status: 204, body: undefined });
    expect((await call('GET', `/api/v1/case/${c.number}`)).body).toMatchObject({ _id: c._id, severity: 4 });
    expect(await call('POST', '/api/v1/case', { title: 'no description' })).toMatchObject({ status: 400, body: { type: 'AttributeCheckingError' } });
  });

  it('creates one observable per value of a data array and refuses a duplicate with 400 CreateError', async () => {
    const c = (await call('POST', '/api/v1/case', { title: 'Obs', description: 'd' })).body as { _id: string };
    const made = await call('POST', `/api/v1/case/${c._id}/observable`, { dataType: 'ip', data: ['10.1.1.1', '10.1.1.2'] });
    expect(made.status).toBe(201);
    expect(made.body).toHaveLength(2);
    expect(await call('POST', `/api/v1/case/${c._id}/observable`, { dataType: 'ip', data: '10.1.1.2' })).toMatchObject({
      status: 400,
      body: { type: 'CreateError', message: 'Observable already exists' },
    });
  });

  it('runs queries with filters, sort, page and count', async () => {
    for (const [title, severity] of [['q-low', 1], ['q-high', 3], ['q-crit', 4]] as const) await call('POST', '/api/v1/case', { title, description: 'd', severity, tags: ['q'] });
    const titles = (steps: unknown[]) => query(steps).then((r) => (r.body as { title: string }[]).map((c) => c.title));
    expect(await titles([{ _name: 'listCase' }, { _name: 'filter', _eq: { _field: 'tags', _value: 'q' } }, { _name: 'sort', _fields: [{ severity: 'desc' }] }])).toEqual(['q-crit', 'q-high', 'q-low']);
    expect(await titles([{ _name: 'listCase' }, { _name: '_filter', _and: [{ _like: { _field: 'title', _value: 'q-*' } }, { _gte: { _field: 'severity', _value: 3 } }] }, { _name: '_sort', _fields: [{ title: 'asc' }] }, { _name: 'page', from: 0, to: 1 }])).toEqual(['q-crit']);
    expect(await titles([{ _name: 'listCase' }, { _name: 'filter', _in: { _field: 'title', _values: ['q-low', 'nope'] } }])).toEqual(['q-low']);
    expect((await query([{ _name: 'listCase' }, { _name: 'filter', _not: { _eq: { _field: 'tags', _value: 'q' } } }, { _name: 'count' }])).body).toBeTypeOf('number');
    expect((await query([{ _name: 'listCase' }, { _name: 'filter', tags: 'q' }, { _name: 'count' }])).body).toBe(3);
    expect(await query([{ _name: 'getCase', idOrName: '~1' }])).toMatchObject({ status: 404, body: { type: 'NotFoundError' } });
    expect(await query([{ _name: 'listCase' }, { _name: 'explode' }])).toMatchObject({ status: 400, body: { type: 'BadRequest' } });
  });

  it('serves only its own version routes for tasks and merges', async () => {
    const c = (await call('POST', '/api/v1/case', { title: 'Routes', description: 'd' })).body as { _id: string };
    const v5task = await call('POST', `/api/v1/case/${c._id}/task`, { title: 't' });
    const v4task = await call('POST', '/api/v1/task', { title: 't', caseId: c._id });
    expect([v5task.status, v4task.status]).toEqual(version === 5 ? [201, 404] : [404, 201]);
    const alert = (await call('POST', '/api/v1/alert', { type: 't', source: 's', sourceRef: `r-${version}`, title: 'a', description: 'd' })).body as { _id: string };
    expect(await call('POST', '/api/v1/alert', { type: 't', source: 's', sourceRef: `r-${version}`, title: 'a', description: 'd' })).toMatchObject({
      status: 400,
      body: { type: 'CreateError', message: `Alert t:s:r-${version} already exist in organisation SOC` },
    });
    const v1merge = await call('POST', `/api/v1/alert/${alert._id}/merge/${c._id}`);
    expect(v1merge.status).toBe(version === 5 ? 200 : 404);
    if (version === 4) expect((await call('POST', `/api/alert/${alert._id}/merge/${c._id}`)).status).toBe(200);
    expect((await call('GET', `/api/v1/alert/${alert._id}`)).body).toMatchObject({ caseId: c._id });
  });

  it('defines custom fields with 201 and refuses values of the wrong type', async () => {
    expect((await call('POST', '/api/v1/customField', { name: 'score', group: 'g', description: 'd', type: 'integer' })).status).toBe(201);
    expect(await call('POST', '/api/v1/case', { title: 'cf', description: 'd', customFields: { score: 'high' } })).toMatchObject({ status: 400 });
    const ok = await call('POST', '/api/v1/case', { title: 'cf', description: 'd', customFields: [{ name: 'score', value: 7 }] });
    expect(ok.body).toMatchObject({ customFields: [{ name: 'score', type: 'integer', value: 7, order: 0 }] });
  });

  it('fails on demand only the matching requests, and refuses connections while down', async () => {
    fake.failNext(1, { status: 503 }, { method: 'GET', path: /customField/ });
    expect((await call('POST', '/api/v1/query', { query: [{ _name: 'listCase' }, { _name: 'count' }] })).status).toBe(200);
    expect(await call('GET', '/api/v1/customField')).toMatchObject({ status: 503, body: { type: 'InternalError' } });
    await fake.down();
    await expect(call('GET', '/api/v1/customField')).rejects.toThrow();
    await fake.up();
    expect((await call('GET', '/api/v1/customField')).status).toBe(200);
  });
});
