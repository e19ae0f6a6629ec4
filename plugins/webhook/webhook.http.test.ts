// An Okta event hook body posted through the real webhook route to a configured generic source
// (POST /signals/okta-events) ends up in the signals collection.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../src/signals/store.js';

const SAMPLE = new URL('../../../shared/fixtures/vendor-samples/okta/okta-docs-event-hook-user.session.start-success.json', import.meta.url);
const TOKEN = 'token-webhook-51b7e2';

describe('generic webhook source', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      file: {
        plugins: {
          webhook: {
            enabled: true,
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
        },
        sources: { 'okta-events': { auth: { type: 'bearer', tokenEnv: 'OKTA_EVENTS_TOKEN' } } },
      },
      env: { OKTA_EVENTS_TOKEN: TOKEN },
    });
  });
  afterAll(async () => t?.stop());

  it('maps the envelope by the configured paths and stores the signal', async () => {
    const res = await fetch(`${t.taser.url}/signals/okta-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: readFileSync(SAMPLE),
    });
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
