// Any valid JSON event is stored or refused clearly (issue 10.2): keys the database refuses ("." "$" NUL),
// nested arrays, absurd depth and huge invalid batches, through the real webhook route and the real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../support/app.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { postSignals, startSourceApp } from '../support/signal-webhook.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../src/signals/store.js';
import { decodeSignal } from '../../src/signals/stored-form.js';

const TOKEN = 'token-hostile-3c9d';
const SOURCES = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const AT = '2026-01-05T08:00:00Z';

describe('hostile but valid JSON events', () => {
  let t: TestApp;
  const stored = (id: string) => t.taser.database.db.collection<StoredSignal>(SIGNALS_COLLECTION).findOne({ _id: `vendor/${id}` });

  beforeAll(async () => {
    t = await startSourceApp({
      plugin: 'webhook',
      settings: { sources: { vendor: { id: 'uuid', type: { value: 'vendor_alert' }, occurredAt: 'at', artifacts: { hostname: 'asset["host.name"]' } } } },
      source: 'vendor',
      token: TOKEN,
    });
  });
  afterAll(async () => t?.stop());

  it('stores events with dotted, $-prefixed and NUL keys and nested arrays, and reads them back as sent', async () => {
    const events: Record<string, unknown>[] = [
      { uuid: 'dots', at: AT, asset: { 'host.name': 'web-1' } },
      { uuid: 'nested', at: AT, matrix: [[1, 2], [3, [4]]] },
      { uuid: 'dollar', at: AT, $where: 'sleep(1000)', nested: { $gt: 1 } },
      { uuid: 'nul', at: AT, 'a\u0000b': 'c\u0000d' },
    ];
    const body = `${JSON.stringify(events).slice(0, -1)},{"uuid":"proto","at":"${AT}","__proto__":{"polluted":true},"constructor":"x"}]`;
    const res = await postSignals(t, 'vendor', body, TOKEN);
    expect(res.status, await res.clone().text()).toBe(202);
    expect(await res.json()).toEqual({ accepted: 5, duplicates: 0 });

    const dots = await stored('dots');
    expect(dots?.signal.artifacts).toEqual({ hostname: 'web-1' });
    expect(decodeSignal(dots!).raw).toEqual(events[0]);
    expect(decodeSignal((await stored('nested'))!).raw).toEqual(events[1]);
    expect(decodeSignal((await stored('dollar'))!).raw).toEqual(events[2]);
    expect(decodeSignal((await stored('nul'))!).raw).toEqual(events[3]);
    const proto = decodeSignal((await stored('proto'))!).raw as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(proto)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an event nested 100,000 deep with a short 400 naming it, and logs little', async () => {
    const deep = `{"uuid":"deep","at":"${AT}","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const logsBefore = t.logs.length;
    const res = await postSignals(t, 'vendor', `[{"uuid":"fine","at":"${AT}"},${deep}]`, TOKEN);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(2_000);
    expect(JSON.parse(text)).toEqual({ error: 'invalid_body', problems: ['event 1: nested deeper than 64 levels'] });
    expect(JSON.stringify(t.logs.slice(logsBefore)).length).toBeLessThan(10_000);
    expect(await stored('fine')).toBeNull();
  });

  it('answers a 130,000-event invalid batch with a capped list of problems', async () => {
    const body = `[${Array.from({ length: 130_000 }, () => '{}').join(',')}]`;
    const res = await postSignals(t, 'vendor', body, TOKEN);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(50_000);
    const answer = JSON.parse(text) as { error: string; problems: string[] };
    expect(answer.error).toBe('invalid_events');
    expect(answer.problems[0]).toMatch(/^event 0: /);
    expect(answer.problems.at(-1)).toMatch(/stopped checking after 100 problems|more problems/);
    expect(answer.problems.length).toBeLessThanOrEqual(102);
  });
});

describe('signals whose own fields the database could not hold', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR, SOURCES],
      file: { plugins: { passthrough: { enabled: true } }, sources: { test: { auth: { type: 'bearer', tokenEnv: 'TEST_TOKEN' } } } },
      env: { TEST_TOKEN: TOKEN },
    });
  });
  afterAll(async () => t?.stop());

  it('answers 400 naming artifact names with "." or a leading "$" (a permanent error, never 503), and stores extra fields of any shape', async () => {
    const bad = { id: 'a', type: 'v', occurredAt: AT, artifacts: { 'host.name': 'x', $bad: 'y' } };
    const res = await postSignals(t, 'test', JSON.stringify(bad), TOKEN);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { problems: string[] };
    expect(answer.problems.join('\n')).toMatch(/event 0: artifacts\.host\.name: an artifact name must not[\s\S]*artifacts\.\$bad/);

    const odd = { id: 'b', type: 'v', occurredAt: AT, artifacts: { hostname: 'h' }, 'extra.field': [[1]], $op: { 'a.b': 1 } };
    const ok = await postSignals(t, 'test', JSON.stringify(odd), TOKEN);
    expect(ok.status, await ok.clone().text()).toBe(202);
    const doc = await t.taser.database.db.collection<StoredSignal>(SIGNALS_COLLECTION).findOne({ _id: 'test/b' });
    expect(decodeSignal(doc!)).toEqual({ ...odd, source: 'test' });
  });
});
