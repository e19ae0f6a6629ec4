// How the thehive backend classifies failures, through real HTTP to the TheHive fake (both versions): what
// retrying can fix (5xx, 429 with its Retry-After, timeouts, refused or lost connections) and what it cannot
// (other 4xx, with TheHive's message in the error).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseBackendError, type CaseBackend } from '../../src/cases/backend.js';
import { startTheHiveFake, type TheHiveFake } from './thehive-fake.js';
import { KEY_ENV, aCase, backendFor, signal } from './test-backend.js';

async function failure(call: Promise<unknown>): Promise<CaseBackendError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CaseBackendError)) throw new Error(`expected a CaseBackendError, got ${String(err)}`);
  return err;
}

describe.each([5, 4] as const)('thehive backend errors, TheHive %i', (version) => {
  let fake: TheHiveFake;
  let backend: CaseBackend;

  beforeAll(async () => {
    fake = await startTheHiveFake({ version, readOnlyKey: 'reader-key' });
    backend = await backendFor(fake);
  });
  afterAll(async () => fake?.stop());

  it('400: not retryable, with TheHive type and message', async () => {
    const ref = await backend.createCase(aCase(), signal());
    const err = await failure(backend.addTask(ref, { title: 'x'.repeat(129), group: 'slack' }, signal()));
    expect(err).toMatchObject({ retryable: false, options: { status: 400 } });
    expect(err.message).toMatch(/^TheHive POST \/api\/v1\/(case\/[^/]+\/)?task: 400 AttributeCheckingError: title: must be 1 to 128 characters/);
  });

  it('401: not retryable, naming the variable with the key', async () => {
    const wrong = await backendFor(fake, {}, { [KEY_ENV]: 'not-the-key' });
    const err = await failure(wrong.createCase(aCase(), signal()));
    expect(err).toMatchObject({ retryable: false, options: { status: 401 } });
    expect(err.message).toContain('401 AuthenticationError: Authentication failure');
    expect(err.message).toContain(KEY_ENV);
  });

  it('403: not retryable, when the key may not write or the organisation is not the user', async () => {
    const reader = await backendFor(fake, {}, { [KEY_ENV]: 'reader-key' });
    const err = await failure(reader.createCase(aCase(), signal()));
    expect(err).toMatchObject({ retryable: false, options: { status: 403 } });
    expect(err.message).toMatch(/403 AuthorizationError: Unauthorized action/);
    const elsewhere = await backendFor(fake, { organisation: 'Elsewhere' });
    const orgErr = await failure(elsewhere.createCase(aCase(), signal()));
    expect(orgErr).toMatchObject({ retryable: false, options: { status: 403 } });
    expect(orgErr.message).toContain('organisation Elsewhere');
  });

  it('404: not retryable, for a case TheHive does not have', async () => {
    const err = await failure(backend.updateCase({ id: '~999999' }, { title: 'gone' }, signal()));
    expect(err).toMatchObject({ retryable: false, options: { status: 404 } });
    expect(err.message).toBe('TheHive PATCH /api/v1/case/~999999: 404 NotFoundError: Case ~999999 not found');
  });

  it('429: retryable, Retry-After in seconds or as a date becomes retryAfterMs', async () => {
    fake.failNext(1, { status: 429, retryAfter: '7' });
    const err = await failure(backend.createCase(aCase(), signal()));
    expect(err).toMatchObject({ retryable: true, options: { status: 429, retryAfterMs: 7000 } });
    fake.failNext(1, { status: 429, retryAfter: new Date(Date.now() + 60_000).toUTCString() });
    const dated = await failure(backend.createCase(aCase(), signal()));
    expect(dated.options.retryAfterMs).toBeGreaterThan(55_000);
    expect(dated.options.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('500: retryable, with the message; the next call goes through', async () => {
    fake.failNext(1, { status: 500, message: 'graph database unavailable' });
    const input = aCase();
    const err = await failure(backend.createCase(input, signal()));
    expect(err).toMatchObject({ retryable: true, options: { status: 500 } });
    expect(err.message).toContain('500 InternalError: graph database unavailable');
    expect(err.options.retryAfterMs).toBeUndefined();
    await backend.createCase(input, signal());
  });

  it('timeout: retryable, after the configured time', async () => {
    const quick = await backendFor(fake, { timeoutMs: 250 });
    fake.failNext(1, { hang: true });
    const started = Date.now();
    const err = await failure(quick.createCase(aCase(), signal()));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('no answer within 250 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a dropped connection and a refused one: retryable; back up, calls go through', async () => {
    fake.failNext(1, { drop: true });
    expect(await failure(backend.createCase(aCase(), signal()))).toMatchObject({ retryable: true, message: expect.stringContaining('no answer') });
    await fake.down();
    try {
      const err = await failure(backend.createCase(aCase(), signal()));
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('ECONNREFUSED');
    } finally {
      await fake.up();
    }
    await backend.createCase(aCase(), signal());
  });

  it('a cancelled call is retryable and says so', async () => {
    const controller = new AbortController();
    fake.failNext(1, { hang: true });
    const call = backend.createCase(aCase(), controller.signal);
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    const err = await failure(call);
    expect(err).toMatchObject({ retryable: true, message: expect.stringContaining('cancelled') });
  });

  it('an unexpected answer is not retried forever', async () => {
    fake.failNext(1, { status: 200, message: 'not a case' }, { path: '/api/v1/query' });
    const err = await failure(backend.createCase(aCase(), signal()));
    expect(err).toMatchObject({ retryable: false, message: expect.stringContaining('unexpected answer from TheHive') });
  });
});

describe('thehive plugin start', () => {
  it('refuses to start without the API key, naming the variable', async () => {
    await expect(backendFor({ url: 'http://127.0.0.1:9', version: 5, apiKey: 'k' }, {}, {})).rejects.toThrow(`set the environment variable ${KEY_ENV}`);
  });
});
