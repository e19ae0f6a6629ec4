// Back-pressure at the webhook: when more signals are accepted than correlation has stepped (config
// correlation.maxBacklog), POST /signals/<source> answers 429 with Retry-After and stores nothing; once the
// correlator catches up, the same request is accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const SECRET = 'back-pressure-secret-0123456789';
const MAX_BACKLOG = 3;

function signed(body: string) {
  const at = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', SECRET).update(`${at}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) };
}
const failed = (id: string) => ({ id, type: 'login_failed', occurredAt: '2026-11-26T08:00:00Z', artifacts: { username: `u-${id}` } });

describe('back-pressure on POST /signals/<source>', () => {
  let t: TestApp;
  const post = (signals: unknown[]) => {
    const body = JSON.stringify(signals);
    return fetch(`${t.taser.url}/signals/test`, { method: 'POST', headers: signed(body), body });
  };

  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR, sources],
      file: {
        plugins: { passthrough: { enabled: true } },
        sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
        rules: [{ id: 'burst', parts: [{ match: { type: 'login_failed' }, count: 3 }], window: '1h', groupBy: ['username'] }],
        correlation: { maxBacklog: MAX_BACKLOG },
      },
      env: { TEST_SOURCE_SECRET: SECRET },
    });
  });
  afterAll(async () => t?.stop());

  it('answers 429 with Retry-After over the backlog limit, stores nothing, and accepts again once caught up', async () => {
    const live = t.taser.correlation.live;
    // Correlation stalled (as when the database is too slow to keep up): accepted signals pile up.
    await live.stop();
    expect((await post([failed('s1'), failed('s2'), failed('s3'), failed('s4')])).status).toBe(202);
    expect(live.backlog()).toBe(4);

    const refused = await post([failed('s5')]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: string }).error).toBe('backlog_full');
    expect(await t.taser.correlation.signals.collection.countDocuments({ _id: 'test/s5' })).toBe(0);
    expect(t.logs.some((l) => l.msg === 'signal webhook refused: the correlation backlog is over correlation.maxBacklog')).toBe(true);

    live.start();
    await waitUntil(() => live.backlog() === 0, 'the backlog drained', 30_000);
    expect((await post([failed('s5')])).status).toBe(202);
    await waitUntil(() => live.idle(), 's5 correlated', 30_000);
    expect(await t.taser.correlation.signals.collection.countDocuments({ _id: { $in: ['test/s1', 'test/s5'] } })).toBe(2);
  }, 60_000);
});
