// A Carbon Black Cloud alert posted through the real webhook route (POST /signals/carbonblack) ends up in the
// signals collection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/support/app.js';
import { postSignals, startSourceApp } from '../../test/support/signal-webhook.js';
import { readSample } from '../../test/support/vendor-samples.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../src/signals/store.js';

const SAMPLE = 'carbonblack/elastic-cbc-alert_v7-test-alert-watchlist-line1.jsonl';
const TOKEN = 'token-carbonblack-7f2d04';

describe('carbonblack webhook', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startSourceApp({ plugin: 'carbonblack', source: 'carbonblack', token: TOKEN });
  });
  afterAll(async () => t?.stop());

  it('accepts a Cloud alert and stores it as an edr_alert signal', async () => {
    const res = await postSignals(t, 'carbonblack', readSample(SAMPLE), TOKEN);
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
