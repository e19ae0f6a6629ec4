// The OpenAPI document against the running taser (issue 14.6): it is a valid OpenAPI 3.1 document; every
// /api/v1 route the HTTP server has mounted is in it (read from the server's router, so a route mounted
// without ApiRouter.define is caught); and every documented operation, called with a key and its example
// request, answers a documented 2xx whose body validates against the documented schema, 401 without a key,
// and a documented 400 to a bad request. Failures name the route and what to do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Agent, fetch } from 'undici';
import type { TestApp } from '../support/app.js';
import { alertWithCard, startCasesApp } from '../cases/slack-app.js';
import type { OpenApiDocument, Operation } from '../../src/app/api/openapi.js';
import { openApiPath } from '../../src/app/api/openapi.js';
import { DOCS_CSP } from '../../src/app/api/docs-page.js';

const ADMIN_KEY = 'openapi-admin-key-0123456789abcdef';
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
// No keep-alive: the schema-compile test blocks this process (and the in-process server) for seconds, after which
// the server's keep-alive timer and the client's idle timer race, and a reused socket was reset (ECONNRESET).
const agent = new Agent({ pipelining: 0 });

interface Documented {
  method: string;
  path: string;
  op: Operation;
}

describe('OpenAPI document of /api/v1', { timeout: 120_000 }, () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let operations: Documented[];
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  /** Path values that exist, by `<segment before>/:<name>`; a route's own example fills the rest. */
  const pathValues: Record<string, string> = {};
  /** Bodies that need stored data (the route's example is used otherwise), by `METHOD path`. */
  const bodies: Record<string, unknown> = {};

  beforeAll(async () => {
    t = await startCasesApp({
      file: { apiKeys: { admin: { keyEnv: 'ADMIN_KEY', groups: ['soc', 'admins'] } }, correlation: { admins: ['admins'] } },
      env: { ADMIN_KEY },
    });
    const res = await fetch(`${t.taser.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
    // Reads first and deletes last, so a change an example makes (closing the fixture case) comes after the reads.
    const rank = (method: string) => (method === 'get' ? 0 : method === 'delete' ? 2 : 1);
    operations = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })))
      .sort((a, b) => rank(a.method) - rank(b.method));

    // Data for the examples: an alert, a case holding it, a second alert to add to the case.
    const { alert } = await alertWithCard(t, 'openapi01', { user: 'alice' });
    const second = await alertWithCard(t, 'openapi02', { user: 'bob' });
    const created = await call('POST', '/api/v1/cases', { title: 'OpenAPI fixture', severity: 'low', alertIds: [alert._id] });
    expect(created.status).toBe(201);
    Object.assign(pathValues, { 'alerts/:id': alert._id, 'rules/:id': 'appsec-finding', 'cases/:ref': String((created.body as { number: number }).number) });
    bodies['POST /api/v1/cases/{ref}/alerts'] = { alertId: second.alert._id };
    // A confirmation flow and a simulation job to read (and cancel), and a rule edit of a stored rule.
    bodies['POST /api/v1/confirmations'] = { alertId: alert._id, user: 'alice' };
    const flow = await call('POST', '/api/v1/confirmations', bodies['POST /api/v1/confirmations']);
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    pathValues['confirmations/:id'] = (flow.body as { id: string }).id;
    const sim = await call('POST', '/api/v1/simulations', { ruleId: 'appsec-finding', since: '1d' });
    expect(sim.status, JSON.stringify(sim.body)).toBe(202);
    pathValues['simulations/:id'] = (sim.body as { id: string }).id;
    const stored = await t.taser.correlation.rules.get('appsec-finding');
    bodies['PUT /api/v1/rules/{id}'] = { definition: { ...stored!.definition, name: 'AppSec finding (edited)' } };
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await t?.slack.stop();
    await agent.close();
  });

  async function call(method: string, path: string, body?: unknown, options: { key?: string | null; rawBody?: string } = {}) {
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    const text = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const res = await fetch(`${t.taser.url}${path}`, {
      dispatcher: agent,
      method: method.toUpperCase(),
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(text !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(text !== undefined ? { body: text } : {}),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, body: type.includes('json') ? ((await res.json()) as unknown) : await res.text() };
  }

  /** The example request of an operation, with real ids: a message says what to add when one is missing. */
  function exampleRequest({ method, path, op }: Documented): { url: string; body?: unknown } {
    const url = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const before = path.slice(0, path.indexOf(`{${name}}`)).split('/').filter(Boolean).pop();
      const value = pathValues[`${before}/:${name}`] ?? op.parameters.find((p) => p.in === 'path' && p.name === name)?.example;
      if (!value) throw new Error(`${method.toUpperCase()} ${path}: no value for the path parameter {${name}}: give the route an example (example.params) or add a fixture to pathValues in test/core/openapi.test.ts`);
      return encodeURIComponent(value);
    });
    const query = new URLSearchParams(op.parameters.flatMap((p): [string, string][] => (p.in === 'query' && p.example !== undefined ? [[p.name, p.example]] : [])));
    for (const p of op.parameters) if (p.in === 'query' && p.required && !query.has(p.name)) throw new Error(`${method.toUpperCase()} ${path}: the required query parameter ${p.name} has no example: give the route example.query`);
    const media = op.requestBody?.content['application/json'];
    const body = bodies[`${method.toUpperCase()} ${path}`] ?? media?.example;
    if (op.requestBody?.required && body === undefined) throw new Error(`${method.toUpperCase()} ${path}: its body is required and has no example: give the route example.body`);
    return { url: `${url}${query.size ? `?${query}` : ''}`, ...(media ? { body: body ?? {} } : {}) };
  }

  /** Off-document answers as messages naming the route; empty when the answer is as documented. */
  function offDocument(label: string, op: Operation, answer: { status: number; type: string; body: unknown }): string[] {
    const documented = op.responses[String(answer.status)];
    if (!documented) return [`${label} answered ${answer.status}, which is not documented (documented: ${Object.keys(op.responses).join(', ')}); body: ${JSON.stringify(answer.body).slice(0, 300)}`];
    const [media, content] = Object.entries(documented.content ?? {})[0] ?? [];
    if (!media) return [];
    if (!answer.type.startsWith(media)) return [`${label} answered ${answer.status} as ${answer.type}, documented as ${media}`];
    if (!content?.schema) return [];
    const validate = ajv.compile(content.schema);
    if (validate(answer.body)) return [];
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params.additionalProperty ? `: "${e.params.additionalProperty}"` : ''}`);
    return [`${label} answered ${answer.status} with a body off its documented schema: ${[...new Set(errors)].join('; ')}; body: ${JSON.stringify(answer.body).slice(0, 300)}`];
  }

  it('is a valid OpenAPI 3.1 document, versioned like taser, whose schemas compile', async () => {
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? [], 'the OpenAPI 3.1 schema refuses the document').toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(operations.length).toBeGreaterThan(10);
    for (const { method, path, op } of operations) {
      const schemas = [...op.parameters.map((p) => p.schema), ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema), ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).flatMap((c) => (c.schema ? [c.schema] : [])))];
      for (const schema of schemas) expect(() => ajv.compile(schema), `${method.toUpperCase()} ${path}`).not.toThrow();
    }
    expect(new Set(operations.map((o) => o.op.operationId)).size, 'operationIds are unique').toBe(operations.length);
  });

  /** The /api/v1 routes the server has mounted that the document lacks, as messages. */
  const undocumented = () =>
    t.taser.http
      .mounted()
      .filter((r) => r.pattern.startsWith('/api/v1/') && !doc.paths[openApiPath(r.pattern)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.pattern} is mounted but not in /api/v1/openapi.json: mount it with ApiRouter.define (docs/api.md), not http.route`);

  it('documents every mounted /api/v1 route, and nothing that is not mounted', () => {
    const mounted = t.taser.http.mounted().filter((r) => r.pattern.startsWith('/api/v1/'));
    expect(undocumented()).toEqual([]);
    const mountedKeys = new Set(mounted.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.pattern)}`));
    expect(operations.filter((o) => !mountedKeys.has(`${o.method} ${o.path}`)).map((o) => `${o.method.toUpperCase()} ${o.path} is documented but not mounted`)).toEqual([]);
    expect(mounted.length).toBe(operations.length);
  });

  it('every operation answers its example with a documented 2xx and a body that matches its schema', async () => {
    const problems: string[] = [];
    for (const o of operations) {
      const label = `${o.method.toUpperCase()} ${o.path}`;
      let request;
      try {
        request = exampleRequest(o);
      } catch (err) {
        problems.push((err as Error).message);
        continue;
      }
      const answer = await call(o.method, request.url, request.body).catch((err: Error) => {
        throw new Error(`${label}: ${err.message} (${String((err.cause as Error | undefined)?.message)})`);
      });
      if (answer.status < 200 || answer.status > 299) problems.push(`${label} answered its example (${request.url} ${JSON.stringify(request.body) ?? ''}) with ${answer.status}, not a 2xx: fix the example or the fixtures in this test; body: ${JSON.stringify(answer.body).slice(0, 300)}`);
      problems.push(...offDocument(label, o.op, answer));
    }
    expect(problems).toEqual([]);
  });

  it('every operation with a key answers 401 without one, and a bad query or body with a documented 400', async () => {
    const problems: string[] = [];
    for (const o of operations) {
      const label = `${o.method.toUpperCase()} ${o.path}`;
      let request;
      try {
        request = exampleRequest(o);
      } catch {
        continue; // reported by the test above
      }
      if (o.op.security.length) {
        const anonymous = await call(o.method, request.url, request.body, { key: null });
        if (anonymous.status !== 401) problems.push(`${label} answered ${anonymous.status} without an API key, not 401`);
        problems.push(...offDocument(`${label} without a key`, o.op, anonymous));
      }
      if (o.op.parameters.some((p) => p.in === 'query')) {
        const url = `${request.url}${request.url.includes('?') ? '&' : '?'}not_a_parameter=1`;
        const answer = await call(o.method, url, request.body);
        if (answer.status !== 400) problems.push(`${label} answered ${answer.status} to an unknown query parameter, not 400`);
        problems.push(...offDocument(`${label} with an unknown query parameter`, o.op, answer));
      }
      if (o.op.requestBody) {
        const answer = await call(o.method, request.url, undefined, { rawBody: '{not json' });
        if (answer.status !== 400) problems.push(`${label} answered ${answer.status} to a body that is not JSON, not 400`);
        problems.push(...offDocument(`${label} with a body that is not JSON`, o.op, answer));
      }
    }
    expect(problems).toEqual([]);
  });

  it('serves /api/docs: every operation on one page, its own style sheet, no script, a strict CSP', async () => {
    const res = await fetch(`${t.taser.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script|(?:src|href)="(?:https?:)?\/\//i);
    for (const { method, path, op } of operations) {
      expect(html, `${method} ${path}`).toContain(`id="${op.operationId}"`);
      expect(html).toContain(`<code>${path}</code>`);
    }
    const css = await fetch(`${t.taser.url}${/href="([^"]+\.css)"/.exec(html)![1]}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  // Last: it mounts a route behind the document's back.
  it('the checks catch an undocumented route, an undocumented status and an off-schema body', () => {
    const alertOp = doc.paths['/api/v1/alerts/{id}']!.get!;
    expect(offDocument('GET /api/v1/alerts/{id}', alertOp, { status: 418, type: 'application/json', body: {} })[0]).toMatch(/answered 418, which is not documented/);
    expect(offDocument('GET /api/v1/alerts/{id}', alertOp, { status: 200, type: 'application/json', body: { id: 1 } })[0]).toMatch(/off its documented schema: .*id/);
    t.taser.http.route('GET', '/api/v1/sneaky/:id', () => undefined);
    expect(undocumented()).toEqual(['GET /api/v1/sneaky/:id is mounted but not in /api/v1/openapi.json: mount it with ApiRouter.define (docs/api.md), not http.route']);
  });
});

