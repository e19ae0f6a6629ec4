// The PagerDuty client against the local fake: headers, pagination within PagerDuty's window, error bodies,
// and the Events API v2 trigger.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutyClient, PagerDutyError, type TriggerEvent } from './client.js';
import { startPagerDutyFake, type PagerDutyFake } from './pagerduty-fake.js';
import { createHttpClient } from '../../src/http/client.js';

const http = createHttpClient({ env: {}, backoffBaseMs: 1 });

const TOKEN = 'pd-test-key-u+abc';
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';

function seedOncalls(fake: PagerDutyFake, count: number, policy = 'PEP0001') {
  for (let i = 0; i < count; i++) {
    const id = `PU${String(i).padStart(5, '0')}`;
    fake.users.set(id, { id, name: `User ${i}`, email: `user${i}@example.com` });
    fake.oncalls.push({ userId: id, escalationPolicyId: policy, escalationLevel: 1 + (i % 3), schedule: { id: 'PSCHED1', summary: 'Daily' }, start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
  }
}

async function failure(promise: Promise<unknown>): Promise<PagerDutyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PagerDutyError);
  return err as PagerDutyError;
}

describe('PagerDuty client', () => {
  let fake: PagerDutyFake;
  beforeAll(async () => {
    fake = await startPagerDutyFake({ token: TOKEN });
  });
  afterAll(async () => fake.stop());
  beforeEach(() => {
    fake.oncalls.length = 0;
    fake.users.clear();
    fake.requests.length = 0;
    fake.events.length = 0;
  });

  it('sends the API key and the versioned Accept header, and reads every page', async () => {
    seedOncalls(fake, 7);
    const client = new PagerDutyClient({ http, apiUrl: `${fake.url}/`, token: TOKEN, pageSize: 3 });
    const { oncalls, truncated } = await client.listOncalls({ escalationPolicyIds: ['PEP0001'], includeUsers: true, earliest: true });
    expect(truncated).toBe(false);
    expect(oncalls.map((o) => o.user.email)).toEqual(Array.from({ length: 7 }, (_, i) => `user${i}@example.com`));
    expect(fake.requests.map((r) => r.query.get('offset'))).toEqual(['0', '3', '6']);
    const first = fake.requests[0]!;
    expect(first.headers.authorization).toBe(`Token token=${TOKEN}`);
    expect(first.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
    expect(first.query.getAll('escalation_policy_ids[]')).toEqual(['PEP0001']);
    expect(first.query.getAll('include[]')).toEqual(['users']);
    expect(first.query.get('earliest')).toBe('true');
  });

  it('never asks beyond offset + limit = 10000, and says the list was cut', async () => {
    seedOncalls(fake, 10_050);
    const client = new PagerDutyClient({ http, apiUrl: fake.url, token: TOKEN });
    const { oncalls, truncated } = await client.listOncalls({ escalationPolicyIds: ['PEP0001'] });
    expect(truncated).toBe(true);
    expect(oncalls).toHaveLength(10_000);
    expect(fake.requests).toHaveLength(100);
    expect(fake.requests.at(-1)!.query.get('offset')).toBe('9900');
  });

  it('turns 401, 403, 404, 429 and 5xx into errors that say what PagerDuty answered', async () => {
    const wrongKey = new PagerDutyClient({ http, apiUrl: fake.url, token: 'wrong' });
    const unauthorized = await failure(wrongKey.listOncalls({}));
    expect(unauthorized).toMatchObject({ status: 401, code: 2006, retryable: false });
    expect(unauthorized.message).toMatch(/401 authentication failed: check the API key \(Unauthorized, code 2006, Authentication failed\)/);

    const client = new PagerDutyClient({ http, apiUrl: fake.url, token: TOKEN });
    fake.failNext('/oncalls', { status: 403, message: 'Forbidden', code: 2010 });
    expect((await failure(client.listOncalls({}))).message).toMatch(/403 forbidden.*Forbidden, code 2010/);
    fake.failNext('/oncalls', { status: 404, message: 'Not Found', code: 2100 });
    expect(await failure(client.listOncalls({}))).toMatchObject({ status: 404, code: 2100, retryable: false });
    fake.failNext('/oncalls', { status: 429, message: 'Rate Limit Exceeded', code: 2020 });
    expect(await failure(client.listOncalls({}))).toMatchObject({ status: 429, retryable: true, message: expect.stringMatching(/rate limited/) });
    // The core client retries a GET twice on 5xx: a 503 that outlasts the retries is the error.
    for (let i = 0; i < 3; i++) fake.failNext('/oncalls', { status: 503, message: 'Service Unavailable' });
    expect(await failure(client.listOncalls({}))).toMatchObject({ status: 503, retryable: true, message: expect.stringMatching(/503 PagerDuty server error/) });
  });

  it('gets its answer when a 5xx passes within the core client\'s retries', async () => {
    seedOncalls(fake, 1);
    const client = new PagerDutyClient({ http, apiUrl: fake.url, token: TOKEN });
    fake.failNext('/oncalls', { status: 502 });
    const { oncalls } = await client.listOncalls({ escalationPolicyIds: ['PEP0001'] });
    expect(oncalls).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('stops when its AbortSignal fires, and closes the request', async () => {
    const client = new PagerDutyClient({ http, apiUrl: fake.url, token: TOKEN });
    const held = fake.holdNext('/oncalls');
    const controller = new AbortController();
    const pending = client.listOncalls({}, controller.signal);
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
    await held.closed;
  });

  it('triggers an event: 202 gives the dedup key', async () => {
    const client = new PagerDutyClient({ http, eventsUrl: fake.url });
    const event: TriggerEvent = { routing_key: ROUTING_KEY, dedup_key: 'web01/ssh-brute', payload: { summary: 'SSH brute force on web01', source: 'web01', severity: 'critical' } };
    await expect(client.trigger(event)).resolves.toEqual({ dedupKey: 'web01/ssh-brute', message: 'Event processed' });
    expect(fake.events).toEqual([{ ...event, event_action: 'trigger' }]);
    const request = fake.requests.at(-1)!;
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers['content-type']).toBe('application/json');
    const generated = await client.trigger({ routing_key: ROUTING_KEY, payload: { summary: 'x', source: 'y', severity: 'info' } });
    expect(generated.dedupKey).toBe('fake-2');
  });

  it('refuses an invalid event before sending, and reports PagerDuty 400 errors', async () => {
    const client = new PagerDutyClient({ http, eventsUrl: fake.url });
    const local = await failure(client.trigger({ routing_key: 'short', payload: { summary: 'x', source: 'y', severity: 'info' } }));
    expect(local.message).toMatch(/routing_key.*32-character integration key/s);
    expect(fake.requests).toHaveLength(0);

    fake.failNext('/v2/enqueue', { status: 400, message: 'Event object is invalid', errors: ["'payload.source' is missing"] });
    const invalid = await failure(client.trigger({ routing_key: ROUTING_KEY, payload: { summary: 'x', source: 'y', severity: 'info' } }));
    expect(invalid).toMatchObject({ status: 400, retryable: false, errors: ["'payload.source' is missing"] });
    expect(invalid.message).toMatch(/400 invalid event: Event object is invalid \('payload.source' is missing\)/);
  });

  it('flags 429 and 5xx from the Events API as retryable', async () => {
    const client = new PagerDutyClient({ http, eventsUrl: fake.url });
    const event: TriggerEvent = { routing_key: ROUTING_KEY, payload: { summary: 'x', source: 'y', severity: 'warning' } };
    fake.failNext('/v2/enqueue', { status: 429, message: 'Too many requests' });
    expect(await failure(client.trigger(event))).toMatchObject({ status: 429, retryable: true });
    fake.failNext('/v2/enqueue', { status: 502 });
    expect(await failure(client.trigger(event))).toMatchObject({ status: 502, retryable: true });
    expect(fake.events).toHaveLength(0);
    // Without a dedup_key a POST is not repeated: PagerDuty would open a second alert.
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a trigger that carries a dedup_key: PagerDuty folds repeats into one alert', async () => {
    const client = new PagerDutyClient({ http, eventsUrl: fake.url });
    fake.failNext('/v2/enqueue', { status: 502 });
    const event: TriggerEvent = { routing_key: ROUTING_KEY, dedup_key: 'db01/disk', payload: { summary: 'disk', source: 'db01', severity: 'error' } };
    await expect(client.trigger(event)).resolves.toMatchObject({ dedupKey: 'db01/disk' });
    expect(fake.requests).toHaveLength(2);
    expect(fake.events).toHaveLength(1);
  });

  it('resolve: an Events API v2 resolve with the dedup_key; a 429 says when to retry; down is retryable', async () => {
    const noRetry = createHttpClient({ env: {}, retries: 0 });
    const client = new PagerDutyClient({ http: noRetry, eventsUrl: fake.url });
    await client.resolve(ROUTING_KEY, 'case-1');
    expect(fake.events).toEqual([{ routing_key: ROUTING_KEY, dedup_key: 'case-1', event_action: 'resolve' }]);
    fake.failNext('/v2/enqueue', { status: 429, retryAfter: 7, message: 'slow down' });
    const limited = await failure(client.resolve(ROUTING_KEY, 'case-1'));
    expect(limited).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
    fake.setDown(true);
    try {
      const down = await failure(client.resolve(ROUTING_KEY, 'case-1'));
      expect(down).toMatchObject({ status: undefined, retryable: true });
    } finally {
      fake.setDown(false);
    }
    await noRetry.close();
  });
});
