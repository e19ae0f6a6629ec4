// An EVE alert posted through the real webhook route (POST /signals/suricata) ends up in the signals collection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/support/app.js';
import { postSignals, startSourceApp } from '../../test/support/signal-webhook.js';
import { readSample } from '../../test/support/vendor-samples.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../src/signals/store.js';

const SAMPLE = 'suricata/elastic-beats-eve-alerts-first-and-last.jsonl';
const TOKEN = 'token-suricata-3c1e9a';

describe('suricata webhook', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startSourceApp({ plugin: 'suricata', source: 'suricata', token: TOKEN });
  });
  afterAll(async () => t?.stop());

  it('accepts EVE NDJSON and stores one signal per alert', async () => {
    const res = await postSignals(t, 'suricata', readSample(SAMPLE), TOKEN, 'application/x-ndjson');
    expect(res.status).toBe(202);
    const stored = await t.taser.database.db
      .collection<StoredSignal>(SIGNALS_COLLECTION)
      .find({ 'signal.source': 'suricata' })
      .sort({ occurredAt: 1 })
      .toArray();
    expect(stored.map((s) => [s.signal.type, s.signal.artifacts.signature_id, s.signal.artifacts.domain])).toEqual([
      ['ids_alert', 2013028, 'example.net'],
      ['ids_alert', 2610003, 'host.domain.net'],
    ]);
    expect(stored[1]!.signal.occurredAt).toBe('2020-06-26T11:00:03.342282-0400');
  });
});
