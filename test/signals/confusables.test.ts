// Lookalikes (issue 10.8): with `correlation.foldConfusables` on, a username written with a Cyrillic "а"
// joins the group of the Latin name it imitates; off (the default), it is a group of its own. Real webhook
// route, live correlator, real database.
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../support/app.js';
import { postSignals } from '../support/signal-webhook.js';
import { waitUntil } from '../support/wait.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { skeleton } from '../../src/signals/confusables.js';

const SOURCES = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const TOKEN = 'token-confusables-4b1d';
const CYRILLIC_A = '\u0430';

async function start(foldConfusables?: boolean): Promise<TestApp> {
  return startTestApp({
    pluginDirs: [BUILTIN_PLUGINS_DIR, SOURCES],
    file: {
      plugins: { passthrough: { enabled: true } },
      sources: { test: { auth: { type: 'bearer', tokenEnv: 'TEST_TOKEN' } } },
      rules: [{ id: 'two-logins', severity: 'high', parts: [{ match: { type: 'login' }, count: 2 }], window: '1h', groupBy: ['username'] }],
      ...(foldConfusables === undefined ? {} : { correlation: { foldConfusables } }),
    },
    env: { TEST_TOKEN: TOKEN },
  });
}

async function twoLogins(t: TestApp): Promise<void> {
  const at = new Date().toISOString();
  for (const [id, username] of [['latin', 'alice'], ['cyrillic', `${CYRILLIC_A}lice`]]) {
    const res = await postSignals(t, 'test', JSON.stringify({ id, type: 'login', occurredAt: at, artifacts: { username } }), TOKEN);
    expect(res.status).toBe(202);
  }
  await waitUntil(() => t.taser.correlation.live.idle(), 'both signals correlated');
}

describe('confusable folding', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('maps lookalikes to one TR39 skeleton', () => {
    expect(skeleton(`${CYRILLIC_A}lice`)).toBe(skeleton('alice'));
    expect(skeleton('р\u0430yp\u0430l.com')).toBe(skeleton('paypal.com'));
    expect(skeleton('bob')).not.toBe(skeleton('alice'));
  });

  it('when on, a Cyrillic "а" in a username joins the Latin group', async () => {
    t = await start(true);
    await twoLogins(t);
    const alerts = await waitUntil(async () => {
      const found = await t!.taser.correlation.alerts.collection.find({ ruleId: 'two-logins' }).toArray();
      return found.length ? found : undefined;
    }, 'the alert of two logins');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.signals).toHaveLength(2);
  });

  it('is off by default: the lookalike is a group of its own', async () => {
    t = await start();
    await twoLogins(t);
    await new Promise((r) => setTimeout(r, 500));
    expect(await t.taser.correlation.alerts.collection.countDocuments({ ruleId: 'two-logins' })).toBe(0);
  });
});
