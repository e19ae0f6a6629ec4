// An Okta event hook body posted through the real webhook route to a configured generic source
// (POST /signals/okta-events) ends up in the signals collection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/support/app.js';
import { postSignals, startSourceApp } from '../../test/support/signal-webhook.js';
import { readSample } from '../../test/support/vendor-samples.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../src/signals/store.js';

const SAMPLE = 'okta/okta-docs-event-hook-user.session.start-success.json';
const TOKEN = 'token-webhook-51b7e2';

describe('generic webhook source', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startSourceApp({
      plugin: 'webhook',
      settings: {
        sources: {
          'okta-events': {
            id: 'uuid',
            type: 'eventType',
            occurredAt: 'published',
            severity: 'severity',
            severityMap: { INFO: 'info', WARN: 'medium', ERROR: 'high' },
            artifacts: { username: 'actor.alternateId', src_ip: 'client.ipAddress' },
            events: 'data.events',
          },
        },
      },
      source: 'okta-events',
      token: TOKEN,
    });
  });
  afterAll(async () => t?.stop());

  it('maps the envelope by the configured paths and stores the signal', async () => {
    const res = await postSignals(t, 'okta-events', readSample(SAMPLE), TOKEN);
    expect(res.status).toBe(202);
    const stored = await t.taser.database.db
      .collection<StoredSignal>(SIGNALS_COLLECTION)
      .findOne({ _id: 'okta-events/f1d0b993-cc19-11ed-a688-db22c99ef6c4' });
    expect(stored?.signal).toMatchObject({
      type: 'user.session.start',
      occurredAt: '2023-03-26T21:05:32.159Z',
      severity: 'info',
      artifacts: { username: 'admin@okta.com', src_ip: '142.126.158.61' },
    });
  });
});
