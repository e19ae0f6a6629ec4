// The duo source through the real route: an Admin API response envelope, then NDJSON authlogs, POSTed to
// /signals/duo with the configured bearer token; stored before the 202, duplicates (same txid) refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/support/app.js';
import { postSignals, startSourceApp } from '../../test/support/signal-webhook.js';
import { readSample } from '../../test/support/vendor-samples.js';

const TOKEN = 'duo-hook-secret';
const envelope = readSample('duo/duo_api_golang-admin-logs_test-getAuthLogsResponse.json');
const ndjson = readSample('duo/elastic-cisco_duo-auth-test-auth.jsonl');

describe('duo webhook', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startSourceApp({ plugin: 'duo', source: 'duo', token: TOKEN });
  });
  afterAll(async () => t?.stop());

  it('stores authlogs as signals; D2 repeats D1\'s txid and is a duplicate', async () => {
    const post = (body: string, contentType: string) => postSignals(t, 'duo', body, TOKEN, contentType);

    const first = await post(envelope, 'application/json');
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: 1, duplicates: 0 });

    const second = await post(ndjson, 'application/x-ndjson');
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual({ accepted: 2, duplicates: 1 });

    const signals = t.taser.database.db.collection('signals');
    const d1 = await signals.findOne({ _id: 'duo/340a23e3-23f3-23c1-87dc-1491a23dfdbb' as never });
    expect(d1?.signal).toMatchObject({ type: 'duo_auth_success', artifacts: { src_ip: '169.232.89.219' } }); // first one wins
    const d3 = await signals.findOne({ _id: 'duo/78e1a910-350b-4226-828b-edb0ac2f2e3c' as never });
    expect(d3?.signal).toMatchObject({ type: 'duo_push_fraud', severity: 'high', artifacts: { username: 'narroway', src_ip: '89.160.20.156' } });
    expect(d3?.occurredAt).toEqual(new Date('2021-07-23T07:20:54.700Z'));
  });
});
