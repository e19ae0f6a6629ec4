// The Okta plugin against a local fake Okta: the System Log poller run by the real pollers machinery and
// database (cursor from the Link header, rejected events, backoff), and the Positron directory providers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { openTestDatabase } from '../../test/support/db.js';
import { loadPluginForTest, type LoadedTestPlugin } from '../../test/support/plugin-harness.js';
import { Metrics } from '../../src/app/metrics.js';
import { SignalStore } from '../../src/signals/store.js';
import { Ingestor } from '../../src/signals/ingest.js';
import { CURSORS_COLLECTION, Pollers, type PollerState } from '../../src/signals/pollers.js';
import type { QueryProviderDefinition } from '../../src/plugins/types.js';
import type { ProviderAnswer } from '../../src/positron/fanout.js';
import { FAKE_OKTA_TOKEN, startFakeOkta, type FakeOkta } from './fake-okta.js';
import { fetchSystemLog, nextLink } from './system-log-poller.js';
import { defaultHttpClient } from '../../src/http/client.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const samples = new URL('../../../shared/fixtures/vendor-samples/okta/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, samples), 'utf8');
const silent = pino({ level: 'silent' });
const env = { OKTA_API_TOKEN: FAKE_OKTA_TOKEN };

// The System Log: O1, O3, O2 (impossible date), O4, O5.
const O1 = JSON.parse(read('okta-docs-event-hook-user.session.start-success.json')).data.events[0];
const O2 = JSON.parse(read('okta-docs-systemlog-reference-example-logevent.json'));
const O3 = JSON.parse(read('stix-shifter-okta-user.session.start-failure.json'))[0];
const [O4, O5] = read('elastic-okta-system-events-newgeo.jsonl').trim().split('\n').map((l) => JSON.parse(l));

let okta: FakeOkta;
beforeAll(async () => {
  okta = await startFakeOkta();
  okta.log.push(O1, O3, O2, O4, O5);
  okta.users.push(
    { id: '00ualice', lastUpdated: '2024-05-01T10:00:00.000Z', profile: { login: 'alice@example.com', email: 'alice@example.com', firstName: 'Alice', lastName: 'Liddell', title: 'Engineer', department: 'Platform', managerId: '00ubob' } },
    { id: '00ubob', profile: { login: 'bob@example.com', email: 'bob@example.com', displayName: 'Bob Boss' } },
    { id: '00ucarol', profile: { login: 'carol@example.com', email: 'carol@example.com', manager: 'dave@example.com' } },
    { id: '00udave', status: 'SUSPENDED', profile: { login: 'dave@example.com', email: 'dave@example.com', firstName: 'Dave', lastName: 'Director' } },
    { id: '00uerin', profile: { login: 'erin@example.com', email: 'erin@example.com', manager: 'Frank Display' } },
    { id: '00ugus', profile: { login: 'gus@example.com', email: 'gus@example.com' } },
  );
});
afterAll(async () => okta?.close());

describe('okta System Log poller', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let pollers: Pollers;
  let clock = new Date('2026-11-24T12:00:00Z');

  beforeAll(async () => {
    database = await openTestDatabase('okta_poll');
    const plugin = await loadPluginForTest(folder, { orgUrl: okta.url, tokenEnv: 'OKTA_API_TOKEN', poll: { limit: 2 } }, { db: database.db, env });
    pollers = new Pollers(database.db, {
      routes: plugin.routes,
      contexts: new Map([[plugin.namespace, plugin.ctx]]),
      ingestor: new Ingestor(new SignalStore(database.db), silent, async () => {}),
      logger: silent,
      metrics: new Metrics({ defaultMetrics: false }),
      now: () => clock,
    });
  });
  afterAll(async () => database?.drop());

  const storedIds = async () => (await database.db.collection('signals').find({}).toArray()).map((d) => d.signal.id as string).sort();
  const cursorDoc = () => database.db.collection<PollerState>(CURSORS_COLLECTION).findOne({ _id: 'okta' });

  it('first page: since + limit, SSWS token, cursor = the rel="next" URL', async () => {
    okta.served.length = 0;
    expect(await pollers.pollOnce('okta')).toBe('ok');
    const first = new URL(okta.served[0]!.path, okta.url);
    expect(first.pathname).toBe('/api/v1/logs');
    expect(first.searchParams.get('limit')).toBe('2');
    expect(Number.isNaN(Date.parse(first.searchParams.get('since')!))).toBe(false);
    expect(okta.served[0]!.authorization).toBe(`SSWS ${FAKE_OKTA_TOKEN}`);
    expect(await storedIds()).toEqual(['e5056745-6640-11ed-869e-9507ab80c238:user.session.start', 'f1d0b993-cc19-11ed-a688-db22c99ef6c4:user.session.start']);
    const cursor = new URL((await cursorDoc())!.cursor!);
    expect(cursor.searchParams.get('after')).toBe('2');
    expect(cursor.searchParams.get('since')).toBe(first.searchParams.get('since'));
  });

  it('follows the cursor; an unmappable event (O2) is recorded and skipped, the rest stored', async () => {
    expect(await pollers.pollOnce('okta')).toBe('ok');
    expect(new URL(okta.served.at(-1)!.path, okta.url).searchParams.get('after')).toBe('2');
    const state = await cursorDoc();
    expect(state!.rejected).toHaveLength(1);
    expect(state!.rejected![0]).toContain('2017-09-31T22:23:07.777Z');
    expect(await storedIds()).toContain('faf7398a-4f77-11ea-97fb-5925e98228bd:user.session.start');
    expect(new URL(state!.cursor!).searchParams.get('after')).toBe('4');

    expect(await pollers.pollOnce('okta')).toBe('ok');
    expect(await pollers.pollOnce('okta')).toBe('ok'); // an empty page: Okta still links to the next one
    expect(await storedIds()).toHaveLength(4);
    expect(await storedIds()).toContain('uuid:user.authentication.auth_via_mfa');
    expect(new URL((await cursorDoc())!.cursor!).searchParams.get('after')).toBe('5');
  });

  it('a 429 fails the poll with a clear error and keeps the cursor', async () => {
    const before = (await cursorDoc())!.cursor;
    okta.failNext(429);
    expect(await pollers.pollOnce('okta')).toBe('failed');
    const state = await cursorDoc();
    expect(state).toMatchObject({ failures: 1, cursor: before });
    expect(state!.lastError).toMatch(/rate-limiting.*HTTP 429.*resets at 2023-11-14T22:13:20.000Z/);
    clock = new Date(clock.getTime() + 61_000);
    expect(await pollers.pollOnce('okta')).toBe('ok');
    expect(await cursorDoc()).toMatchObject({ failures: 0, cursor: before });
  });

  it('never sends the token to another origin, and says when the token is missing', async () => {
    const config = { orgUrl: okta.url, tokenEnv: 'OKTA_API_TOKEN', directory: true, poll: { every: '1 minute', limit: 2, lookbackMinutes: 60 } };
    const signal = new AbortController().signal;
    await expect(fetchSystemLog('http://127.0.0.2:1/api/v1/logs?after=1', config, (n) => env[n as 'OKTA_API_TOKEN'], defaultHttpClient(), signal)).rejects.toThrow(/refusing to send the Okta token to http:\/\/127\.0\.0\.2:1/);
    await expect(fetchSystemLog(undefined, config, () => undefined, defaultHttpClient(), signal)).rejects.toThrow(/OKTA_API_TOKEN .* is not set/);
  });

  it('reads rel="next" among several links', () => {
    expect(nextLink('<https://o.okta.com/api/v1/logs?a=1>; rel="self", <https://o.okta.com/api/v1/logs?after=9>; rel="next"')).toBe('https://o.okta.com/api/v1/logs?after=9');
    expect(nextLink('<https://o.okta.com/api/v1/logs?a=1>; rel="self"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});

describe('okta plugin settings', () => {
  it('has no poller unless poll is set, and no directory without orgUrl and tokenEnv', async () => {
    const webhookOnly = await loadPluginForTest(folder, {});
    expect(webhookOnly.routes.sources.get('okta')!.def.poller).toBeUndefined();
    expect(webhookOnly.routes.providers.size).toBe(0);
    const directoryOnly = await loadPluginForTest(folder, { orgUrl: okta.url, tokenEnv: 'OKTA_API_TOKEN' });
    expect(directoryOnly.routes.sources.get('okta')!.def.poller).toBeUndefined();
    expect([...directoryOnly.routes.providers.keys()].sort()).toEqual(['okta:user-info', 'okta:user-manager']);
  });

  it('refuses polling without the API settings, naming the field', async () => {
    await expect(loadPluginForTest(folder, { poll: {} })).rejects.toThrow(/poll.*orgUrl and tokenEnv/s);
    await expect(loadPluginForTest(folder, { orgUrl: okta.url })).rejects.toThrow(/tokenEnv/);
  });
});

describe('okta directory (Positron)', () => {
  let plugin: LoadedTestPlugin;
  beforeAll(async () => {
    plugin = await loadPluginForTest(folder, { orgUrl: okta.url, tokenEnv: 'OKTA_API_TOKEN' }, { env });
  });

  const ask = (provider: string, user: string, signal = new AbortController().signal, p = plugin) => {
    const def = p.routes.providers.get(provider)!.def as QueryProviderDefinition<unknown, { user: string }, unknown>;
    return def.answer({ user }, { signal, ctx: p.ctx }) as Promise<ProviderAnswer<Record<string, any>>[]>;
  };

  it('USER_INFO: the profile of a user by login', async () => {
    expect(await ask('okta:user-info', 'alice@example.com')).toEqual([
      {
        value: { email: 'alice@example.com', username: 'alice@example.com', displayName: 'Alice Liddell', title: 'Engineer', department: 'Platform', status: 'ACTIVE' },
        observedAt: '2024-05-01T10:00:00.000Z',
      },
    ]);
    expect((await ask('okta:user-info', '00udave'))[0]!.value).toMatchObject({ displayName: 'Dave Director', status: 'SUSPENDED' });
  });

  it('USER_MANAGER: through profile.managerId, then profile.manager as a login', async () => {
    expect((await ask('okta:user-manager', 'alice@example.com'))[0]!.value).toEqual({ manager: { email: 'bob@example.com', username: 'bob@example.com', displayName: 'Bob Boss' } });
    expect(okta.served.at(-1)!.path).toBe('/api/v1/users/00ubob');
    expect((await ask('okta:user-manager', 'carol@example.com'))[0]!.value.manager).toMatchObject({ email: 'dave@example.com', displayName: 'Dave Director' });
  });

  it('USER_MANAGER: a manager Okta cannot find is the free text, less sure; no manager is no answer', async () => {
    expect(await ask('okta:user-manager', 'erin@example.com')).toEqual([{ value: { manager: { displayName: 'Frank Display' } }, confidence: 0.5 }]);
    expect(await ask('okta:user-manager', 'gus@example.com')).toEqual([]);
  });

  it('an unknown user (404) is an empty answer for both queries', async () => {
    expect(await ask('okta:user-info', 'nobody@example.com')).toEqual([]);
    expect(await ask('okta:user-manager', 'nobody@example.com')).toEqual([]);
  });

  it('401, 429 and 5xx are clear errors', async () => {
    const wrongToken = await loadPluginForTest(folder, { orgUrl: okta.url, tokenEnv: 'OKTA_API_TOKEN' }, { env: { OKTA_API_TOKEN: 'wrong' } });
    await expect(ask('okta:user-info', 'alice@example.com', undefined, wrongToken)).rejects.toThrow('Okta refused the API token (HTTP 401) (E0000011 Invalid token provided): check OKTA_API_TOKEN');
    okta.failNext(429);
    await expect(ask('okta:user-info', 'alice@example.com')).rejects.toThrow(/rate-limiting this token \(HTTP 429\)/);
    okta.failNext(503, 3); // the core HTTP client retries a GET twice on 5xx
    await expect(ask('okta:user-manager', 'alice@example.com')).rejects.toThrow('Okta answered HTTP 503 (E0000009 Internal Server Error)');
  });

  it('gives up when its AbortSignal fires', async () => {
    okta.hangOn.add('slow@example.com');
    const controller = new AbortController();
    const pending = ask('okta:user-info', 'slow@example.com', controller.signal);
    await expect.poll(() => okta.served.some((s) => s.path === '/api/v1/users/slow%40example.com')).toBe(true);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });
});
