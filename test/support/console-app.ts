// A whole taser with the web console on, the Slack fake serving Sign in with Slack, and helpers to sign a
// browser in. Used by the console's browser tests (test/console/).
import type { Page } from 'playwright-core';
import type { FileConfig } from '../../src/app/config.js';
import { startSlackFake, type FakeUser, type SlackFake } from './slack-fake.js';
import { enableOidc, setOidcUser } from './slack-fake-oidc.js';
import { startTestApp, TEST_BOT_TOKEN, type TestApp } from './app.js';

export const CONSOLE_CLIENT_ID = '1111111111.2222222222';
export const CONSOLE_ENV = {
  TASER_CONSOLE_SESSION_SECRET: 'console-session-secret-for-tests-0123456789',
  SLACK_CLIENT_SECRET: 'console-client-secret-for-tests',
};

export const ADMIN: FakeUser = { id: 'UADMIN001', name: 'ada', real_name: 'Ada Admin', email: 'ada@example.com' };
export const ANALYST: FakeUser = { id: 'UANALYST1', name: 'ann', real_name: 'Ann Analyst', email: 'ann@example.com' };

export interface ConsoleApp extends TestApp {
  /** http://127.0.0.1:PORT */
  url: string;
  slack: SlackFake;
  /** Signs the page's browser context in through the fake's consent page, as this user. */
  signIn(page: Page, user: FakeUser, next?: string): Promise<void>;
}

export interface ConsoleAppOptions {
  file?: Partial<Record<keyof FileConfig, unknown>>;
  /** Extra `console:` settings (e.g. trustedProxy). */
  console?: Record<string, unknown>;
  env?: Record<string, string>;
  users?: FakeUser[];
  pluginDirs?: string[];
}

export async function startConsoleApp(options: ConsoleAppOptions = {}): Promise<ConsoleApp> {
  const slack = await startSlackFake({ token: TEST_BOT_TOKEN });
  for (const user of options.users ?? [ADMIN, ANALYST]) slack.addUser(user);
  const oidc = enableOidc(slack, { clientId: CONSOLE_CLIENT_ID, clientSecret: CONSOLE_ENV.SLACK_CLIENT_SECRET });
  const app = await startTestApp({
    slack,
    ...(options.pluginDirs ? { pluginDirs: options.pluginDirs } : {}),
    env: { ...CONSOLE_ENV, ...options.env },
    file: {
      groups: { admins: { users: [ADMIN.id] }, soc: { users: [ADMIN.id, ANALYST.id] } },
      correlation: { admins: ['admins'] },
      ...options.file,
      console: {
        enabled: true,
        oidc: { clientId: CONSOLE_CLIENT_ID, authorizeUrl: oidc.authorizeUrl, jwksUrl: oidc.jwksUrl },
        ...options.console,
      },
    },
  });
  return {
    ...app,
    url: app.taser.url,
    async signIn(page, user, next = '/ui') {
      setOidcUser(slack, user.id);
      await page.goto(`${app.taser.url}/ui/login?next=${encodeURIComponent(next)}`);
      await page.getByRole('link', { name: 'Sign in with Slack' }).click();
      await page.waitForURL((u) => u.pathname.startsWith(next.split('?')[0]!));
    },
    async stop() {
      await app.stop();
      await slack.stop();
    },
  };
}
