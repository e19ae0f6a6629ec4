// ApiRouter.define over a real HTTP server (no database): what it refuses at mount, and the answers it gives
// before a handler runs (401, 400 per part, 413), and what the document says of the same route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { z } from 'zod';
import { HttpServer } from '../http-server.js';
import { ApiRouter } from './route.js';
import { openApiDocument } from './openapi.js';

const KEY = 'route-test-key-0123456789abcdef';
const logger = pino({ level: 'silent' });

describe('ApiRouter.define', () => {
  const http = new HttpServer(logger);
  const api = new ApiRouter(http, { keys: [{ name: 'tester', groups: ['g'], digest: createHash('sha256').update(KEY).digest() }], logger });
  let url = '';
  const seen: unknown[] = [];

  api.define(
    {
      method: 'POST', path: '/api/v1/things/:n', tags: ['things'], auth: 'apiKey', summary: 'Make a thing', bodyLimit: 100,
      params: z.strictObject({ n: z.coerce.number().int().min(1) }),
      query: z.object({ dry: z.enum(['yes', 'no']).default('no') }),
      body: z.strictObject({ name: z.string().min(1), when: z.date().optional() }),
      responses: { 201: { description: 'made', schema: z.strictObject({ n: z.number(), by: z.string() }) } },
    },
    async ({ params, query, body, key }) => {
      seen.push({ params, query, body });
      return { status: 201, body: { n: params.n, by: `${key.name}:${query.dry}:${body.name}` } };
    },
  );
  api.define({ method: 'GET', path: '/api/v1/silent', tags: ['things'], auth: 'none', summary: 'Forgets to answer', responses: { 200: { description: 'never' } } }, async () => undefined);

  beforeAll(async () => {
    const address = await http.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => http.close());

  const post = (path: string, body: string, key: string | null = KEY) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  it('hands the handler parsed values and sends its answer', async () => {
    expect(await post('/api/v1/things/3?dry=yes', '{"name":"a"}')).toEqual({ status: 201, body: { n: 3, by: 'tester:yes:a' } });
    expect(seen.at(-1)).toEqual({ params: { n: 3 }, query: { dry: 'yes' }, body: { name: 'a' } });
  });

  it('answers 401, 400 per part and 413 before the handler runs', async () => {
    const before = seen.length;
    expect((await post('/api/v1/things/3', '{"name":"a"}', null)).status).toBe(401);
    expect(await post('/api/v1/things/0', '{"name":"a"}')).toMatchObject({ status: 400, body: { error: 'invalid_params', problems: [expect.stringMatching(/^n: /)] } });
    expect(await post('/api/v1/things/3?dry=maybe&x=1', '{"name":"a"}')).toMatchObject({ status: 400, body: { error: 'invalid_query', problems: [expect.stringMatching(/^dry: /), expect.stringMatching(/x/)] } });
    expect(await post('/api/v1/things/3', '{"name":"","extra":1}')).toMatchObject({ status: 400, body: { error: 'invalid_request', problems: [{ field: 'name' }, { field: 'body' }] } });
    expect(await post('/api/v1/things/3', '{nope')).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    expect(await post('/api/v1/things/3', JSON.stringify({ name: 'x'.repeat(200) }))).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    expect(seen.length).toBe(before);
  });

  it('turns a handler that answers nothing into a 500 with an error id', async () => {
    const res = await fetch(`${url}/api/v1/silent`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'internal_error', errorId: expect.any(String) });
  });

  it('documents the same route: parameters, body, and the answers the mechanism adds', () => {
    const op = openApiDocument(api.routes, '1.2.3').paths['/api/v1/things/{n}']!.post!;
    expect(op.parameters.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:n:true', 'query:dry:false']);
    expect(op.requestBody?.content['application/json']?.schema).toMatchObject({ properties: { name: { type: 'string' }, when: { type: 'string', format: 'date-time' } }, required: ['name'], additionalProperties: false });
    expect(Object.keys(op.responses).sort()).toEqual(['201', '400', '401', '403', '413', '500']);
    expect(op.security).toEqual([{ apiKey: [] }, { consoleSession: [] }]);
  });

  it('refuses at mount a route outside /api/v1, twice, or with params that do not match its path', () => {
    const spec = { method: 'GET', tags: ['x'], auth: 'none', summary: 's', responses: { 200: { description: 'ok' } } } as const;
    const handler = async () => ({ status: 200, body: {} });
    expect(() => api.define({ ...spec, path: '/other' }, handler)).toThrow(/must be under \/api\/v1/);
    expect(() => api.define({ ...spec, method: 'POST', path: '/api/v1/things/:n' }, handler)).toThrow(/defined twice/);
    expect(() => api.define({ ...spec, path: '/api/v1/x/:a', params: z.strictObject({ b: z.string() }) }, handler)).toThrow(/params schema has \[b\], the path has \[a\]/);
  });

  // Last: it changes the router for what follows.
  it('takes a session when no Authorization header is sent; a key, when sent, alone decides', async () => {
    api.acceptSessions(async (req) => {
      const who = req.headers['x-test-session'];
      if (who === 'refuse') return { status: 403, body: { error: 'csrf', message: 'no token' } };
      return typeof who === 'string' ? { caller: { name: `console:${who}`, actor: `console:${who}`, groups: [] } } : undefined;
    });
    const send = (headers: Record<string, string>) =>
      fetch(`${url}/api/v1/things/1`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"s"}' }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect(await send({ 'x-test-session': 'U1' })).toEqual({ status: 201, body: { n: 1, by: 'console:U1:no:s' } });
    expect(await send({ 'x-test-session': 'refuse' })).toMatchObject({ status: 403, body: { error: 'csrf' } });
    expect((await send({})).status).toBe(401);
    // A wrong key is not rescued by a session.
    expect((await send({ 'x-test-session': 'U1', authorization: 'Bearer wrong-key-0123456789abcdef' })).status).toBe(401);
    expect(await send({ 'x-test-session': 'U1', authorization: `Bearer ${KEY}` })).toMatchObject({ status: 201, body: { by: 'tester:no:s' } });
  });
});
