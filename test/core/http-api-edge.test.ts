// The HTTP API's edge (issue 10.7): a key sent in the query string never reaches a log line, and a cursor
// too long to be a page offset is a 400 naming it, not a 500. Real HTTP server, real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startTestApp, type TestApp } from '../support/app.js';
import { encodeCursor } from '../../src/store/keyset.js';

const API_KEY = 'reader-key-0123456789abcdef0123456789';

describe('HTTP API edge', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ file: { apiKeys: { reader: { keyEnv: 'READER_KEY', groups: [] } } }, env: { READER_KEY: API_KEY } });
  });
  afterAll(async () => t?.stop());

  it('redacts query strings in what it logs about a refused request', async () => {
    const secret = 'leaked-token-9f8e7d6c5b4a39281706';
    const res = await fetch(`${t.taser.url}/api/v1/signals?access_token=${secret}&limit=5`);
    expect(res.status).toBe(401);
    const line = t.logs.find((l) => l.msg === 'HTTP API refused: missing or unknown API key');
    expect(line?.path).toBe('/api/v1/signals?access_token=[redacted]&limit=[redacted]');
    expect(JSON.stringify(t.logs)).not.toContain(secret);
  });

  it.each(['1' + '0'.repeat(400), '9999999999', '-1', '1e5'])('answers 400 to the cursor %s', async (cursor) => {
    for (const path of ['signals', 'alerts']) {
      const res = await fetch(`${t.taser.url}/api/v1/${path}?cursor=${cursor}`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/cursor/);
    }
  });

  it('still pages with a valid cursor', async () => {
    const res = await fetch(`${t.taser.url}/api/v1/signals?cursor=${encodeCursor(Date.now(), 'webhook/1')}&limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
  });
});

describe('unauthenticated bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      file: { plugins: { webhook: { enabled: true, sources: { vendor: { id: 'id', type: { value: 'v' }, occurredAt: 'at' } } } }, sources: { vendor: { auth: { type: 'bearer', tokenEnv: 'VENDOR_TOKEN' } } } },
      env: { VENDOR_TOKEN: 'vendor-token-0123456789abcdef' },
    });
  });
  afterAll(async () => t?.stop());

  /** Sends headers only and never the body it announces: the answer must come from the headers alone. */
  function headersOnly(path: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(`${t.taser.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '500000', ...headers } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.flushHeaders();
      setTimeout(() => reject(new Error('no answer within 3 s: the body was awaited before authenticating')), 3000).unref();
    });
  }

  it('refuses a wrong bearer token before reading the body', async () => {
    expect(await headersOnly('/signals/vendor', { authorization: 'Bearer wrong' })).toBe(401);
  });

  it('refuses a Slack request stamped outside the window before reading the body', async () => {
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    expect(await headersOnly('/slack/events', { 'x-slack-request-timestamp': stale, 'x-slack-signature': `v0=${'0'.repeat(64)}` })).toBe(401);
  });
});
