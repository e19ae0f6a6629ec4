// The console's sign-in in a real browser: no session → the sign-in page; Sign in with Slack through the Slack
// fake's OpenID Connect endpoints; sign out; CSRF; the trusted-header mode only from the proxy's address.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, openPage, screenshot } from '../support/browser.js';
import { ADMIN, ANALYST, startConsoleApp, type ConsoleApp } from '../support/console-app.js';
import { SESSION_COOKIE } from '../../src/console/session.js';

let app: ConsoleApp;
let browser: Browser;

beforeAll(async () => {
  // 127.0.0.2 plays the SSO proxy; the tests themselves connect from 127.0.0.1.
  app = await startConsoleApp({ console: { trustedProxy: { addresses: ['127.0.0.2/32'] } } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** A raw request (choosing the source address), for what a browser cannot do. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; localAddress?: string; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(`${app.url}${path}`, { method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('console sign-in', () => {
  it('sends a browser without a session to the sign-in page, and answers scripts 401', async () => {
    const { page, context, problems } = await openPage(browser);
    await page.goto(`${app.url}/ui?from=bookmark`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/ui?from=bookmark');
    await expect(page.getByRole('link', { name: 'Sign in with Slack' }).count()).resolves.toBe(1);
    await screenshot(page, 'sign-in');
    expect(problems).toEqual([]);
    await context.close();

    const htmx = await raw('/ui', { headers: { 'hx-request': 'true' } });
    expect(htmx.status).toBe(401);
    expect(htmx.headers['hx-redirect']).toBe('/ui/login');
    const post = await raw('/ui/logout', { method: 'POST' });
    expect(post.status).toBe(401);
  });

  it('signs in with Slack (OpenID Connect through the fake), shows the user, and signs out', async () => {
    const { page, context, problems } = await openPage(browser);
    await app.signIn(page, ADMIN);
    await expect(page.getByTestId('user').textContent()).resolves.toBe('Ada Admin');
    await expect(page.locator('.badge').textContent()).resolves.toBe('admin');
    await screenshot(page, 'home-admin');

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === SESSION_COOKIE)!;
    // Path=/: the console's own calls to /api/v1 carry it too (api-session.ts).
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    expect(session.expires).toBeGreaterThan(Date.now() / 1000);
    expect(app.logs.some((l) => l.audit === 'console_sign_in' && l.user === ADMIN.id)).toBe(true);
    // The token exchange went to the Web API method with the client's credentials, not a bot token.
    const exchange = app.slack.callsTo('openid.connect.token')[0]!;
    expect(exchange.args).toMatchObject({ client_id: '1111111111.2222222222', client_secret: 'console-client-secret-for-tests' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/ui/login');
    expect((await context.cookies()).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    await page.goto(`${app.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a non-admin without the admin badge', async () => {
    const { page, context } = await openPage(browser);
    await app.signIn(page, ANALYST);
    await expect(page.getByTestId('user').textContent()).resolves.toBe('Ann Analyst');
    await expect(page.locator('.badge').count()).resolves.toBe(0);
    await context.close();
  });

  it('refuses a change without the CSRF token, even with a valid session', async () => {
    const { page, context } = await openPage(browser);
    await app.signIn(page, ANALYST);
    const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE)!;
    const headers = { cookie: `${SESSION_COOKIE}=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' };
    const without = await raw('/ui/logout', { method: 'POST', headers, body: '' });
    expect(without.status).toBe(403);
    expect(JSON.parse(without.body)).toMatchObject({ error: 'csrf' });
    const wrong = await raw('/ui/logout', { method: 'POST', headers, body: '_csrf=not-the-token-of-this-session' });
    expect(wrong.status).toBe(403);
    expect(app.logs.some((l) => l.audit === 'console_csrf_refused')).toBe(true);
    await context.close();
  });

  it('lets the session call /api/v1 as the same user: reads, changes only with the CSRF token, rules only for admins', async () => {
    const rule = { id: 'api-session-rule', name: 'Via the session', parts: [{ match: { type: 'login_failure' }, count: 3 }], window: '1h', groupBy: ['username'] };
    const asUser = async (user: typeof ADMIN) => {
      const { page, context } = await openPage(browser);
      await app.signIn(page, user);
      const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE)!;
      const csrf = await page.locator('input[name=_csrf]').first().inputValue();
      await context.close();
      const send = (method: string, path: string, body?: unknown, token?: string) =>
        raw(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { cookie: `${SESSION_COOKIE}=${cookie.value}`, 'content-type': 'application/json', ...(token ? { 'x-csrf-token': token } : {}) } });
      return { csrf, send };
    };
    const ann = await asUser(ANALYST);
    const read = await ann.send('GET', '/api/v1/rules');
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toHaveProperty('rules');
    // A POST with the session but without its token is refused, as the console's own forms are.
    const noToken = await ann.send('POST', '/api/v1/rules/validate', { definition: rule });
    expect(noToken.status).toBe(403);
    expect(JSON.parse(noToken.body)).toMatchObject({ error: 'csrf' });
    expect((await ann.send('POST', '/api/v1/rules/validate', { definition: rule }, 'x'.repeat(32))).status).toBe(403);
    expect((await ann.send('POST', '/api/v1/rules/validate', { definition: rule }, ann.csrf)).status).toBe(200);
    // Rules change for correlation admins only: the analyst is refused and audited under the console's name.
    const refused = await ann.send('POST', '/api/v1/rules', { definition: rule }, ann.csrf);
    expect(refused.status).toBe(403);
    expect(await app.taser.correlation.rules.get(rule.id)).toBeUndefined();
    expect((await app.taser.correlation.rules.audit.list(rule.id))[0]).toMatchObject({ actor: `console:${ANALYST.id}`, outcome: 'denied' });

    const ada = await asUser(ADMIN);
    const created = await ada.send('POST', '/api/v1/rules', { definition: rule }, ada.csrf);
    expect(created.status).toBe(201);
    expect(await app.taser.correlation.rules.get(rule.id)).toMatchObject({ version: 1, updatedBy: `console:${ADMIN.id}` });
    // Another user's token does not fit this session.
    expect((await ada.send('POST', `/api/v1/rules/${rule.id}/disable`, undefined, ann.csrf)).status).toBe(403);
    expect((await ada.send('POST', `/api/v1/rules/${rule.id}/disable`, undefined, ada.csrf)).status).toBe(200);
    // Without a session (or with a forged one) and without a key: 401.
    expect((await raw('/api/v1/rules')).status).toBe(401);
    const forged = Buffer.from(JSON.stringify({ sub: ADMIN.id, name: 'x', via: 'slack', csrf: 'a'.repeat(20), exp: 4_000_000_000 })).toString('base64url');
    expect((await raw('/api/v1/rules', { headers: { cookie: `${SESSION_COOKIE}=${forged}.AAAA` } })).status).toBe(401);
  });

  it('refuses a callback whose state does not match, and a forged session cookie', async () => {
    const callback = await raw('/ui/auth/callback?code=abc&state=forged');
    expect(callback.status).toBe(400);
    expect(callback.body).toContain('took too long or started in another browser');
    const forged = Buffer.from(JSON.stringify({ sub: ADMIN.id, name: 'x', via: 'slack', csrf: 'a'.repeat(20), exp: 4_000_000_000 })).toString('base64url');
    const res = await raw('/ui', { headers: { cookie: `${SESSION_COOKIE}=${forged}.AAAA` } });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/ui\/login/);
  });

  it('honours X-Forwarded-Email only from the configured proxy address', async () => {
    const headers = { 'x-forwarded-email': ADMIN.email! };
    const fromElsewhere = await raw('/ui', { headers, localAddress: '127.0.0.1' });
    expect(fromElsewhere.status).toBe(303);
    expect(fromElsewhere.headers.location).toMatch(/^\/ui\/login/);
    expect(app.logs.some((l) => l.audit === 'console_proxy_header_ignored')).toBe(true);

    const fromProxy = await raw('/ui', { headers, localAddress: '127.0.0.2' });
    expect(fromProxy.status).toBe(200);
    expect(fromProxy.body).toContain('Ada Admin');
    expect(String(fromProxy.headers['set-cookie'])).toContain(`${SESSION_COOKIE}=`);
    expect(app.slack.callsTo('users.lookupByEmail').at(-1)!.args.email).toBe(ADMIN.email);

    const unknown = await raw('/ui', { headers: { 'x-forwarded-email': 'nobody@example.com' }, localAddress: '127.0.0.2' });
    expect(unknown.status).toBe(303);
  });

  it('serves its assets itself with a strict CSP on every page', async () => {
    const page = await raw('/ui/login');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script>(?!<\/script>)/);
    const htmx = /src="(\/ui\/assets\/htmx\.min\.js\?v=[0-9a-f]+)"/.exec(page.body)![1]!;
    const asset = await raw(htmx);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect((await raw('/ui/assets/..%2Fpackage.json')).status).toBe(404);
  });
});
