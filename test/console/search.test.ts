// The console's search in a real browser over signals ingested through a webhook and correlated live: alerts
// about a username, the histogram, keyset paging to the end, a permalink, CSV/JSON of the page, and the links
// signal -> its alerts -> their cases, with the alert's card preview.
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';
import { launchChromium, openPage, screenshot, type WatchedPage } from '../support/browser.js';
import { ANALYST, startConsoleApp, type ConsoleApp } from '../support/console-app.js';
import { waitUntil } from '../support/wait.js';

const sources = fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url));
const HMAC_SECRET = 'hmac-secret-for-console-tests-0123';
const SOC_KEY = 'soc-api-key-for-console-tests-0123';

const rules = [
  { id: 'denied-pushes', name: 'Denied pushes', severity: 'medium', team: 'identity', parts: [{ match: { type: 'duo_push_denied' }, count: 2 }], window: '4h', groupBy: ['username'] },
];

const day = Date.parse('2026-11-20T00:00:00Z');
const at = (minutes: number) => new Date(day + minutes * 60_000).toISOString();
// alice: two denied pushes (an alert); bob: two (another alert); and 25 scanner signals for paging.
const stream = [
  { id: 'd1', type: 'duo_push_denied', occurredAt: at(60), artifacts: { username: 'alice', src_ip: '198.51.100.7' }, severity: 'high', title: 'Push denied' },
  { id: 'd2', type: 'duo_push_denied', occurredAt: at(90), artifacts: { username: 'alice' }, title: 'Push denied' },
  { id: 'b1', type: 'duo_push_denied', occurredAt: at(120), artifacts: { username: 'bob' } },
  { id: 'b2', type: 'duo_push_denied', occurredAt: at(150), artifacts: { username: 'bob' } },
  ...Array.from({ length: 25 }, (_, i) => ({ id: `s${i}`, type: 'port_scan', occurredAt: at(200 + i * 30), artifacts: { src_ip: '203.0.113.9' }, title: `=HYPERLINK("x") scan ${i}` })),
];

let app: ConsoleApp;
let browser: Browser;
let w: WatchedPage;

function signed(body: string) {
  const ts = Math.floor(Date.now() / 1000);
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${createHmac('sha256', HMAC_SECRET).update(`${ts}.${body}`).digest('hex')}`, 'x-taser-timestamp': String(ts) };
}

beforeAll(async () => {
  app = await startConsoleApp({
    pluginDirs: [BUILTIN_PLUGINS_DIR, sources],
    file: {
      plugins: { passthrough: { enabled: true } },
      sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
      rules,
      groups: { admins: { users: ['UADMIN001'] }, soc: { users: ['UADMIN001', ANALYST.id] } },
      correlation: { admins: ['admins'] },
      cases: { soc: ['soc'] },
      apiKeys: { soc: { keyEnv: 'SOC_KEY', groups: ['soc'] } },
    },
    env: { TEST_SOURCE_SECRET: HMAC_SECRET, SOC_KEY },
  });
  for (const signal of stream) {
    const body = JSON.stringify(signal);
    const res = await fetch(`${app.url}/signals/test`, { method: 'POST', headers: signed(body), body });
    expect(res.status).toBe(202);
  }
  await waitUntil(async () => (await app.taser.correlation.alerts.search({ limit: 10 })).alerts.length === 2, 'the two alerts', 20_000);
  const alice = (await app.taser.correlation.alerts.search({ artifact: 'username=alice', limit: 1 })).alerts[0]!;
  const res = await fetch(`${app.url}/api/v1/cases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SOC_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Alice pushed away', severity: 'high', alertIds: [alice._id] }),
  });
  expect(res.status).toBe(201);
  browser = await launchChromium();
  w = await openPage(browser);
  await app.signIn(w.page, ANALYST, '/ui/search');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('console search', () => {
  it('finds every alert about a username, with a histogram and a permalink', async () => {
    const { page } = w;
    await page.goto(`${app.url}/ui/search`);
    await page.getByLabel('Artifact field').fill('username');
    await page.getByLabel('Artifact value').fill('Alice');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.searchParams.get('artifact') === 'Alice');
    const rows = page.getByTestId('results').locator('tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('username=alice');
    await expect(page.locator('svg.histogram rect.bar').count()).resolves.toBeGreaterThan(0);
    await expect(page.getByTestId('matches').textContent()).resolves.toContain('1 matches');
    const permalink = await page.getByTestId('permalink').getAttribute('href');
    expect(permalink).toBe('/ui/search?artifact=Alice&field=username');
    await screenshot(page, 'search-alerts');

    // The permalink in a fresh visit gives the same result.
    await page.goto(`${app.url}${permalink}`);
    await expect(page.getByTestId('results').locator('tbody tr').count()).resolves.toBe(1);
    // Any field: bob's alert by his bare name.
    await page.goto(`${app.url}/ui/search?artifact=bob`);
    await expect(page.getByTestId('results').locator('tbody tr').first().textContent()).resolves.toContain('username=bob');
    expect(w.problems).toEqual([]);
  });

  it('pages signals to the end with keyset cursors, each signal once, and back with the same pages', async () => {
    const { page } = w;
    await page.goto(`${app.url}/ui/search?kind=signals&type=port_scan&limit=10`);
    const keysShown = async () => (await page.getByTestId('results').locator('tbody tr td:first-child').allTextContents()).map((k) => k.trim());
    const forward: string[][] = [];
    for (let i = 0; i < 5; i++) {
      forward.push(await keysShown());
      const next = page.getByTestId('next');
      if ((await next.count()) === 0) break;
      if (i === 1) await screenshot(page, 'search-signals-page-2');
      await next.click();
      await page.waitForLoadState();
    }
    const seen = forward.flat();
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe('test/s24');
    expect(seen.at(-1)).toBe('test/s0');
    expect(await page.getByTestId('prev').count()).toBe(1);

    // Back, page by page (keyset in reverse): the same pages in the other order, and no "previous" on the first.
    const backward: string[][] = [await keysShown()];
    let permalinkOfPage2 = '';
    for (let i = 0; i < 5 && (await page.getByTestId('prev').count()) > 0; i++) {
      await page.getByTestId('prev').click();
      await page.waitForLoadState();
      backward.unshift(await keysShown());
      if (backward.length === 2) permalinkOfPage2 = (await page.getByTestId('permalink').getAttribute('href'))!;
    }
    expect(backward).toEqual(forward);
    expect(new URL(page.url()).searchParams.has('before')).toBe(true);
    await screenshot(page, 'search-signals-back-to-page-1');
    // A page reached backwards has a permalink (its `before` cursor) that shows the same rows on a fresh visit,
    // also after another signal has been stored (older than all: the other tests' pages stay as they are; the
    // unit test src/store/keyset.test.ts covers newer ones).
    expect(permalinkOfPage2).toContain('before=');
    const body = JSON.stringify({ id: 'late', type: 'port_scan', occurredAt: at(100), artifacts: { src_ip: '203.0.113.9' }, title: 'late scan' });
    expect((await fetch(`${app.url}/signals/test`, { method: 'POST', headers: signed(body), body })).status).toBe(202);
    await page.goto(`${app.url}${permalinkOfPage2}`);
    expect(await keysShown()).toEqual(forward[1]);
  });

  it('downloads what is on screen as CSV and JSON', async () => {
    const { page } = w;
    await page.goto(`${app.url}/ui/search?kind=signals&type=port_scan&limit=10`);
    const csvHref = (await page.getByTestId('csv').getAttribute('href'))!;
    const csv = await page.request.get(`${app.url}${csvHref}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-disposition']).toMatch(/attachment; filename="taser-signals-.*\.csv"/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('key,occurredAt,source,type,severity,title,artifacts,link');
    expect(lines).toHaveLength(11);
    // A title a spreadsheet would run as a formula is defused.
    expect(lines[1]).toContain(`"'=HYPERLINK(""x"") scan 24"`);
    // The JSON is the HTTP API's answer for the same page, fetched by the browser with its console session.
    const json = page.getByTestId('json');
    expect(await json.getAttribute('href')).toBe('/api/v1/signals?limit=10&type=port_scan');
    const [download] = await Promise.all([page.waitForEvent('download'), json.click()]);
    const { readFile } = await import('node:fs/promises');
    const body = JSON.parse(await readFile((await download.path())!, 'utf8')) as { signals: { source: string; id: string }[]; next?: string };
    expect(body.signals.map((s) => `${s.source}/${s.id}`)).toEqual(lines.slice(1).map((l) => l.split(',')[0]));
    expect(body.next).toBeTruthy();
  });

  it('links a signal to its alert, the alert to its case, and shows the alert card', async () => {
    const { page } = w;
    await page.goto(`${app.url}/ui/search?kind=signals&artifact=alice`);
    await page.getByRole('link', { name: 'test/d1' }).click();
    await page.waitForURL((u) => u.pathname === '/ui/signals/test%2Fd1');
    await expect(page.getByTestId('alerts').locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.getByTestId('cases').textContent()).resolves.toContain('Alice pushed away');
    await screenshot(page, 'signal');

    await page.getByTestId('alerts').locator('tbody tr a').first().click();
    await page.waitForURL((u) => u.pathname.startsWith('/ui/alerts/'));
    await expect(page.getByTestId('severity').textContent()).resolves.toBe('high');
    await expect(page.getByTestId('signals').locator('tbody tr').count()).resolves.toBe(2);
    const card = await page.getByTestId('card').textContent();
    expect(card).toContain('alice');
    expect(card).toContain('Denied pushes');
    await screenshot(page, 'alert');

    await page.getByTestId('cases').getByRole('link', { name: '#1' }).click();
    await page.waitForURL((u) => u.pathname === '/ui/cases/1');
    await expect(page.locator('h1').textContent()).resolves.toContain('Alice pushed away');
    await screenshot(page, 'case');
    expect(w.problems).toEqual([]);
  });

  it('shows a bad filter next to its field (400) and refuses a forged cursor', async () => {
    const { page } = w;
    const res = await page.goto(`${app.url}/ui/search?field=username&since=yesterday-ish`);
    expect(res!.status()).toBe(400);
    await expect(page.getByTestId('error-artifact').textContent()).resolves.toContain('give a value');
    await expect(page.locator('.field-error').first().textContent()).resolves.toContain('a time such as');
    await screenshot(page, 'search-error');
    expect((await page.goto(`${app.url}/ui/search?cursor=not-a-cursor!`))!.status()).toBe(400);
    // The API pages with the same keyset cursors and refuses a forged one.
    const api = await fetch(`${app.url}/api/v1/signals?cursor=bm9wZQ`, { headers: { authorization: `Bearer ${SOC_KEY}` } });
    expect(api.status).toBe(400);
  });
});
