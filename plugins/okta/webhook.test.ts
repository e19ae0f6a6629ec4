// The okta source through the real route: an Okta Event Hook delivery POSTed to /signals/okta with the
// bearer token the source is configured with is stored before the 202.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/support/app.js';
import { postSignals, startSourceApp } from '../../test/support/signal-webhook.js';
import { readSample } from '../../test/support/vendor-samples.js';

const hook = readSample('okta/okta-docs-event-hook-user.session.start-success.json');

describe('okta webhook', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startSourceApp({ plugin: 'okta', source: 'okta', token: 'okta-hook-secret' });
  });
  afterAll(async () => t?.stop());

  it('stores the Event Hook delivery as an sso_login signal and answers 202', async () => {
    const post = (token: string) => postSignals(t, 'okta', hook, token);
    expect((await post('wrong')).status).toBe(401);

    const res = await post('okta-hook-secret');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
    const stored = await t.taser.database.db.collection('signals').findOne({ _id: 'okta/f1d0b993-cc19-11ed-a688-db22c99ef6c4:user.session.start' as never });
    expect(stored?.signal).toMatchObject({
      source: 'okta',
      type: 'sso_login',
      severity: 'info',
      artifacts: { username: 'admin@okta.com', src_ip: '142.126.158.61', geo_country: 'Canada', geo_city: 'Toronto' },
    });
    expect(stored?.occurredAt).toEqual(new Date('2023-03-26T21:05:32.159Z'));

    // Okta retries a delivery it thinks failed: the same event again is a duplicate.
    expect(await (await post('okta-hook-secret')).json()).toEqual({ accepted: 0, duplicates: 1 });
  });
  it('answers the one-time Event Hook verification only for an authenticated request', async () => {
    const verify = (token: string, challenge?: string) =>
      fetch(`${t.taser.url}/signals/okta`, { headers: { authorization: `Bearer ${token}`, ...(challenge ? { 'x-okta-verification-challenge': challenge } : {}) } });
    expect((await verify('wrong', 'abc')).status).toBe(401);
    expect((await verify('okta-hook-secret')).status).toBe(404);
    const ok = await verify('okta-hook-secret', 'pN7aF1gS5tYGlNiN0zTGo3zmbZzEpwkAbIzb1NgJ');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ verification: 'pN7aF1gS5tYGlNiN0zTGo3zmbZzEpwkAbIzb1NgJ' });
  });
});
