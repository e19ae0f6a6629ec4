// The core's outbound HTTP client against real local servers: the retry policy, deadlines, redirects, what is
// logged, per-host metrics, and the company-network parts: a CONNECT proxy (HTTPS_PROXY, NO_PROXY) and a
// server whose certificate only a private CA vouches for (http.caFiles, NODE_EXTRA_CA_CERTS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/app/logger.js';
import { createHttpClient, OutboundHttpError } from '../../src/http/client.js';
import { makePrivateCa, startConnectProxy, startServer, type ConnectProxy, type PrivateCa, type TestServer } from '../support/network.js';

const fast = { env: {}, backoffBaseMs: 5 };

describe('retry policy against a real server', () => {
  let server: TestServer;
  // Per path: the statuses to answer in turn (then 200), and optional headers per answer.
  const script = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  beforeAll(async () => {
    server = await startServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      if (path === '/hang') return; // never answers
      if (path === '/moved') {
        res.writeHead(302, { location: `${req.headers['x-next'] ?? '/ok'}` });
        res.end();
        return;
      }
      const next = script.get(path)?.shift() ?? { status: 200 };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(JSON.stringify({ path, status: next.status }));
    });
  });
  afterAll(() => server.close());
  const count = (path: string) => server.requests.filter((r) => r.url.split('?')[0] === path).length;

  it('retries a GET on 5xx and honours Retry-After', async () => {
    script.set('/a', [{ status: 503, headers: { 'retry-after': '1' } }, { status: 502 }]);
    const http = createHttpClient(fast);
    const started = Date.now();
    const res = await http.request(`${server.url}/a`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/a', status: 200 });
    expect(count('/a')).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    // Keep-alive: the pool for this origin kept one connection for all three attempts.
    expect(new Set(server.requests.filter((r) => r.url === '/a').map((r) => r.clientPort)).size).toBe(1);
    await http.close();
  });

  it('gives back the last answer when the retries are spent, and a Retry-After beyond the deadline is not waited for', async () => {
    script.set('/b', [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    const http = createHttpClient(fast);
    expect((await http.request(`${server.url}/b`)).status).toBe(500);
    expect(count('/b')).toBe(3);
    script.set('/c', [{ status: 503, headers: { 'retry-after': '20' } }]);
    const res = await http.request(`${server.url}/c`, { timeoutMs: 2_000 });
    expect(res.status).toBe(503);
    expect(count('/c')).toBe(1);
    await http.close();
  });

  it('retries a POST only when the call is marked safe to retry', async () => {
    const http = createHttpClient(fast);
    script.set('/post', [{ status: 502 }]);
    expect((await http.request(`${server.url}/post`, { method: 'POST', body: '{}' })).status).toBe(502);
    expect(count('/post')).toBe(1);
    script.set('/post', [{ status: 502 }]);
    expect((await http.request(`${server.url}/post`, { method: 'POST', body: '{"dedup":1}', safeToRetry: true })).status).toBe(200);
    expect(count('/post')).toBe(3);
    expect(server.requests.at(-1)!.body).toBe('{"dedup":1}');
    await http.close();
  });

  it('retries 429 only when the server says when', async () => {
    const http = createHttpClient(fast);
    script.set('/quota', [{ status: 429 }]);
    expect((await http.request(`${server.url}/quota`)).status).toBe(429);
    expect(count('/quota')).toBe(1);
    script.set('/limited', [{ status: 429, headers: { 'retry-after': '0' } }]);
    expect((await http.request(`${server.url}/limited`)).status).toBe(200);
    expect(count('/limited')).toBe(2);
    await http.close();
  });

  it('retries a refused connection, then names the error; the deadline covers the whole call', async () => {
    const registry = new Registry();
    const http = createHttpClient({ ...fast, registry });
    const refused = await http.request('http://127.0.0.1:9/x?key=SECRET').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OutboundHttpError);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED', attempts: 3 });
    expect((refused as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:9\/x: no answer: .*ECONNREFUSED.*\(after 3 attempts\)$/);
    expect((refused as Error).message).not.toContain('SECRET');
    const text = await registry.metrics();
    expect(text).toContain('taser_http_client_errors_total{plugin="core",host="127.0.0.1:9",code="ECONNREFUSED"} 3');
    expect(text).toContain('taser_http_client_retries_total{plugin="core",host="127.0.0.1:9",reason="ECONNREFUSED"} 2');

    const started = Date.now();
    await expect(http.request(`${server.url}/hang`, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/no answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(3_000);
    const controller = new AbortController();
    const pending = http.request(`${server.url}/hang`, { signal: controller.signal });
    controller.abort(new Error('Positron deadline'));
    await expect(pending).rejects.toThrow('Positron deadline');
    await http.close();
  });

  it('follows redirects when asked, without carrying credentials to another origin', async () => {
    const other = await startServer((_req, res) => res.end('{}'));
    const http = createHttpClient(fast);
    const same = await http.request(`${server.url}/moved`, { followRedirects: true, headers: { authorization: 'Bearer t1' } });
    expect(same.url).toBe(`${server.url}/ok`);
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer t1');
    const away = await http.request(`${server.url}/moved`, { followRedirects: true, headers: { authorization: 'Bearer t2', 'x-apikey': 'k', accept: 'application/json', 'x-next': `${other.url}/there` } });
    expect(away.url).toBe(`${other.url}/there`);
    expect(other.requests[0]!.headers).not.toHaveProperty('authorization');
    expect(other.requests[0]!.headers).not.toHaveProperty('x-apikey');
    expect(other.requests[0]!.headers.accept).toBe('application/json');
    expect((await http.request(`${server.url}/moved`)).status).toBe(302);
    await http.close();
    await other.close();
  });

  it('logs retries by host and path only, and counts every attempt per host and plugin', async () => {
    const lines: string[] = [];
    const registry = new Registry();
    const http = createHttpClient({ ...fast, registry, logger: createLogger('debug', { write: (l) => void lines.push(l) }) });
    script.set('/secret', [{ status: 503 }]);
    const res = await http.forPlugin('vendor').request(`${server.url}/secret?api_key=QUERYSECRET`, { headers: { authorization: 'Bearer HEADERSECRET', 'x-apikey': 'APIKEYSECRET' } });
    expect(res.status).toBe(200);
    const log = lines.join('');
    expect(log).toContain('"path":"/secret"');
    expect(log).toContain('"plugin":"vendor"');
    for (const secret of ['QUERYSECRET', 'HEADERSECRET', 'APIKEYSECRET']) expect(log).not.toContain(secret);
    const host = new URL(server.url).host;
    const text = await registry.metrics();
    expect(text).toContain(`taser_http_client_requests_total{plugin="vendor",host="${host}",method="GET",status="503"} 1`);
    expect(text).toContain(`taser_http_client_requests_total{plugin="vendor",host="${host}",method="GET",status="200"} 1`);
    expect(text).toContain(`taser_http_client_request_duration_seconds_count{host="${host}"} 2`);
    await http.close();
  });
});

describe('company network: a CONNECT proxy and a private CA', () => {
  let ca: PrivateCa;
  let https: TestServer;
  let proxy: ConnectProxy;
  beforeAll(async () => {
    ca = makePrivateCa();
    https = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"tls":true}');
    }, ca);
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    await https?.close();
    await proxy?.close();
    rmSync(ca.dir, { recursive: true, force: true });
  });
  const target = () => new URL(https.url).host;

  it('reaches an HTTPS server through HTTPS_PROXY, trusting the CA from http.caFiles', async () => {
    const http = createHttpClient({ ...fast, env: { HTTPS_PROXY: proxy.url }, caFiles: [ca.caFile] });
    const before = proxy.connects.length;
    const res = await http.request(`${https.url}/through?token=x`);
    expect(await res.json()).toEqual({ tls: true });
    expect(proxy.connects.slice(before)).toEqual([target()]);
    await http.close();
  });

  it('goes direct for hosts in NO_PROXY, and proxies plain HTTP through HTTP_PROXY (lower-case names too)', async () => {
    const plain = await startServer((_req, res) => res.end('{}'));
    const direct = createHttpClient({ ...fast, env: { https_proxy: proxy.url, no_proxy: '127.0.0.1' }, caFiles: [ca.caFile] });
    const before = proxy.connects.length;
    expect((await direct.request(`${https.url}/direct`)).status).toBe(200);
    expect(proxy.connects.length).toBe(before);
    const viaProxy = createHttpClient({ ...fast, env: { HTTP_PROXY: proxy.url } });
    expect((await viaProxy.request(`${plain.url}/plain`)).status).toBe(200);
    expect(proxy.connects.at(-1)).toBe(new URL(plain.url).host);
    await Promise.all([direct.close(), viaProxy.close(), plain.close()]);
  });

  it('refuses a certificate no trusted CA signed, says how to fix it, and does not retry', async () => {
    const http = createHttpClient({ ...fast, env: { HTTPS_PROXY: proxy.url } });
    const err = await http.request(`${https.url}/untrusted`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundHttpError);
    expect(err).toMatchObject({ attempts: 1 });
    expect((err as Error).message).toMatch(/TLS certificate is not trusted .*NODE_EXTRA_CA_CERTS or the config's http\.caFiles/);
    await http.close();
  });

  it('trusts NODE_EXTRA_CA_CERTS, which Node reads when the process starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taser-extra-ca-'));
    const script = join(dir, 'call.mts');
    const client = fileURLToPath(new URL('../../src/http/client.ts', import.meta.url));
    writeFileSync(script, `import { createHttpClient } from ${JSON.stringify(client)};\n` +
      `const http = createHttpClient({ env: process.env });\n` +
      `const res = await http.request(${JSON.stringify(`${https.url}/extra`)});\n` +
      `console.log(res.status, await res.text());\nawait http.close();\n`);
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { PATH: process.env.PATH ?? '', HTTPS_PROXY: proxy.url, ...env } }, (_err, stdout, stderr) =>
          resolve({ code: child.exitCode, out: stdout + stderr }),
        );
      });
    const trusted = await run({ NODE_EXTRA_CA_CERTS: ca.caFile });
    expect(trusted.out).toContain('200 {"tls":true}');
    expect(trusted.code).toBe(0);
    const untrusted = await run({});
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.out).toMatch(/not trusted/);
    rmSync(dir, { recursive: true, force: true });
  });
});
