// The HTTP API's edge (issue 10.7): a key sent in the query string never reaches a log line, and a cursor
// too long to be a page offset is a 400 naming it, not a 500. Real HTTP server, real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

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
    const res = await fetch(`${t.taser.url}/api/v1/signals?cursor=0&limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
  });
});
