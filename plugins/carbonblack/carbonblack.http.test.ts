// A Carbon Black Cloud alert posted through the real webhook route (POST /signals/carbonblack) ends up in the
// signals collection.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../src/signals/store.js';

const SAMPLE = new URL('../../../shared/fixtures/vendor-samples/carbonblack/elastic-cbc-alert_v7-test-alert-watchlist-line1.jsonl', import.meta.url);
const TOKEN = 'token-carbonblack-7f2d04';

describe('carbonblack webhook', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      file: {
        plugins: { carbonblack: { enabled: true } },
        sources: { carbonblack: { auth: { type: 'bearer', tokenEnv: 'CARBONBLACK_TOKEN' } } },
      },
      env: { CARBONBLACK_TOKEN: TOKEN },
    });
  });
  afterAll(async () => t?.stop());

  it('accepts a Cloud alert and stores it as an edr_alert signal', async () => {
    const res = await fetch(`${t.taser.url}/signals/carbonblack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: readFileSync(SAMPLE),
    });
    expect(res.status).toBe(202);
    const stored = await t.taser.database.db
      .collection<StoredSignal>(SIGNALS_COLLECTION)
      .findOne({ _id: 'carbonblack/1c6aba68-24cc-41e3-ad8e-4b545a587b55' });
    expect(stored?.signal).toMatchObject({
      type: 'edr_alert',
      severity: 'medium',
      artifacts: { username: 'administrator', hostname: 'ww-20002', src_ip: '75.98.230.194', internal_ip: '172.16.100.140' },
    });
  });
});
