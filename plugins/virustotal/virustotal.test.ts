// The VirusTotal providers, loaded as the host loads them and asked through Positron's fan-out (which also
// checks every answer against the query's output schema), against a local VirusTotal API fake.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPluginForTest } from '../../test/support/plugin-harness.js';
import { providersFrom } from '../../src/positron/wire.js';
import { fanOut } from '../../src/positron/fanout.js';
import { DOMAIN_INFO, HASH_REPUTATION, type QueryType } from '../../src/positron/query-types.js';
import { FakeVirusTotal, domainObject, fileObject, vtError } from './fake-virustotal.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const EICAR_MD5 = '44d88612fea8a8f36de82e1278abb02f';
const CLEAN_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ANALYSED_AT = 1_732_000_000; // epoch seconds
const env = { VT_KEY: 'vt-test-key' };

const vt = new FakeVirusTotal();

async function loadProviders(settings: Record<string, unknown> = {}, options: { env?: Record<string, string> } = {}) {
  const plugin = await loadPluginForTest(folder, { apiKeyEnv: 'VT_KEY', baseUrl: vt.baseUrl, ...settings }, { env: options.env ?? env });
  const providers = providersFrom(plugin.routes, new Map([[plugin.namespace, plugin.ctx]]));
  return async (query: QueryType, input: unknown) => {
    const [outcome] = await fanOut(query, providers.filter((p) => p.query === query.name), query.input.parse(input), { defaultTimeoutMs: 5000 });
    return outcome!;
  };
}

describe('virustotal providers', () => {
  beforeAll(() => vt.start());
  afterAll(() => vt.stop());
  beforeEach(() => vt.reset());

  it('HASH_REPUTATION: a file most engines flag is malicious, with its names and analysis date', async () => {
    vt.answer(`/api/v3/files/${EICAR_SHA256}`, fileObject(EICAR_SHA256, {
      meaningful_name: 'eicar.com',
      names: ['eicar.com', 'eicar_com.zip', 'EICAR.TXT'],
      last_analysis_date: ANALYSED_AT,
      last_analysis_stats: { malicious: 62, suspicious: 0, undetected: 8, harmless: 0, timeout: 0, 'confirmed-timeout': 0, failure: 1, 'type-unsupported': 5 },
    }));
    const ask = await loadProviders();
    const outcome = await ask(HASH_REPUTATION, { hash: EICAR_SHA256.toUpperCase() });
    expect(outcome.provider).toBe('virustotal:files');
    expect(outcome.status).toBe('answered');
    expect(outcome.answers).toEqual([
      {
        value: { verdict: 'malicious', detections: 62, engines: 76, names: ['eicar.com', 'eicar_com.zip', 'EICAR.TXT'] },
        confidence: 1,
        observedAt: new Date(ANALYSED_AT * 1000).toISOString(),
      },
    ]);
    expect(vt.requests).toEqual([{ path: `/api/v3/files/${EICAR_SHA256}`, apiKey: 'vt-test-key' }]);
  });

  it('HASH_REPUTATION: harmless, undetected, and one lone detection below the threshold', async () => {
    const ask = await loadProviders();
    vt.answer(`/api/v3/files/${CLEAN_SHA256}`, fileObject(CLEAN_SHA256, { last_analysis_stats: { malicious: 0, suspicious: 0, undetected: 60, harmless: 3 } }));
    expect((await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).answers[0]?.value).toEqual({ verdict: 'harmless', detections: 0, engines: 63 });

    vt.answer(`/api/v3/files/${CLEAN_SHA256}`, fileObject(CLEAN_SHA256, { last_analysis_stats: { malicious: 0, suspicious: 0, undetected: 60, harmless: 0 } }));
    expect((await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).answers[0]?.value).toMatchObject({ verdict: 'undetected', engines: 60 });

    vt.answer(`/api/v3/files/${EICAR_MD5}`, fileObject(EICAR_SHA256, { last_analysis_stats: { malicious: 1, suspicious: 0, undetected: 69, harmless: 0 } }));
    expect((await ask(HASH_REPUTATION, { hash: EICAR_MD5 })).answers[0]?.value).toMatchObject({ verdict: 'suspicious', detections: 1 });
  });

  it('HASH_REPUTATION: maliciousThreshold 1 makes a single detection malicious', async () => {
    vt.answer(`/api/v3/files/${EICAR_MD5}`, fileObject(EICAR_SHA256, { last_analysis_stats: { malicious: 1, suspicious: 0, undetected: 69, harmless: 0 } }));
    const ask = await loadProviders({ maliciousThreshold: 1 });
    expect((await ask(HASH_REPUTATION, { hash: EICAR_MD5 })).answers[0]?.value).toMatchObject({ verdict: 'malicious', detections: 1, engines: 70 });
  });

  it('answers nothing for a hash VirusTotal does not know (404 NotFoundError) or has not analysed yet', async () => {
    const ask = await loadProviders();
    expect(await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).toMatchObject({ status: 'empty', answers: [] });
    vt.answer(`/api/v3/files/${CLEAN_SHA256}`, fileObject(CLEAN_SHA256, { last_analysis_stats: {} }));
    expect(await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).toMatchObject({ status: 'empty', answers: [] });
  });

  it('fails clearly on a refused API key (401 WrongCredentialsError) and on a missing one', async () => {
    vt.answer(`/api/v3/files/${CLEAN_SHA256}`, vtError(401, 'WrongCredentialsError', 'Wrong API key'));
    const ask = await loadProviders();
    expect(await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).toMatchObject({
      status: 'failed',
      error: 'VirusTotal refused the API key in VT_KEY (WrongCredentialsError: Wrong API key)',
    });

    vt.reset();
    const askWithoutKey = await loadProviders({}, { env: {} });
    expect(await askWithoutKey(HASH_REPUTATION, { hash: CLEAN_SHA256 })).toMatchObject({
      status: 'failed',
      error: 'VirusTotal API key missing: set the environment variable VT_KEY',
    });
    expect(vt.requests).toEqual([]);
  });

  it('after a 429 QuotaExceededError, fails fast for every query instead of asking again', async () => {
    vt.answer(`/api/v3/files/${EICAR_SHA256}`, { ...vtError(429, 'QuotaExceededError', 'Quota exceeded'), headers: { 'retry-after': '3600' } });
    vt.answer('/api/v3/domains/example.com', domainObject('example.com', { last_analysis_stats: { harmless: 60, malicious: 0, suspicious: 0, undetected: 10 } }));
    const ask = await loadProviders();

    const first = await ask(HASH_REPUTATION, { hash: EICAR_SHA256 });
    expect(first.status).toBe('failed');
    expect(first.error).toMatch(/^VirusTotal quota exceeded, retry after \d{4}-\d\d-\d\dT[\d:.]+Z \(in 3600 s\) \(QuotaExceededError: Quota exceeded\)$/);

    const again = await ask(HASH_REPUTATION, { hash: EICAR_SHA256 });
    const domain = await ask(DOMAIN_INFO, { domain: 'example.com' });
    expect(again.error).toMatch(/^VirusTotal quota exceeded, retry after .+ \(in \d+ s\)$/);
    expect(domain).toMatchObject({ status: 'failed', error: expect.stringMatching(/^VirusTotal quota exceeded/) });
    expect(vt.requests).toHaveLength(1);
  });

  it('with requestsPerMinute, refuses the request past the budget without sending it', async () => {
    vt.answer(`/api/v3/files/${CLEAN_SHA256}`, fileObject(CLEAN_SHA256, { last_analysis_stats: { harmless: 1 } }));
    const ask = await loadProviders({ requestsPerMinute: 2 });
    expect((await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).status).toBe('answered');
    expect((await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).status).toBe('answered');
    const third = await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 });
    expect(third).toMatchObject({ status: 'failed', error: expect.stringMatching(/^VirusTotal request limit reached \(requestsPerMinute: 2\): next request possible in \d+ s$/) });
    expect(vt.requests).toHaveLength(2);
  });

  it('DOMAIN_INFO: the reputation of a domain, from its engines tally', async () => {
    vt.answer('/api/v3/domains/evil.example', domainObject('evil.example', {
      last_analysis_date: ANALYSED_AT,
      last_analysis_stats: { harmless: 50, malicious: 9, suspicious: 2, undetected: 25, timeout: 0 },
    }));
    vt.answer('/api/v3/domains/example.com', domainObject('example.com', { last_analysis_stats: { harmless: 66, malicious: 0, suspicious: 0, undetected: 28, timeout: 0 } }));
    vt.answer('/api/v3/domains/quiet.example', domainObject('quiet.example', { last_analysis_stats: { harmless: 0, malicious: 0, suspicious: 0, undetected: 94, timeout: 0 } }));
    const ask = await loadProviders();

    const evil = await ask(DOMAIN_INFO, { domain: 'EVIL.example.' });
    expect(evil.provider).toBe('virustotal:domains');
    expect(evil.answers).toEqual([{ value: { reputation: 'malicious' }, confidence: 1, observedAt: new Date(ANALYSED_AT * 1000).toISOString() }]);
    expect((await ask(DOMAIN_INFO, { domain: 'example.com' })).answers[0]?.value).toEqual({ reputation: 'harmless' });
    expect((await ask(DOMAIN_INFO, { domain: 'quiet.example' })).answers[0]?.value).toEqual({ reputation: 'unknown' });
    expect(await ask(DOMAIN_INFO, { domain: 'nowhere.example' })).toMatchObject({ status: 'empty', answers: [] });
    expect(vt.requests.map((r) => r.path)).toEqual([
      '/api/v3/domains/evil.example',
      '/api/v3/domains/example.com',
      '/api/v3/domains/quiet.example',
      '/api/v3/domains/nowhere.example',
    ]);
  });

  it('fails clearly on a server error and on a body that is not a VirusTotal object', async () => {
    vt.answer(`/api/v3/files/${CLEAN_SHA256}`, vtError(503, 'TransientError', 'Try again later'));
    vt.answer('/api/v3/domains/example.com', { status: 200, body: { data: { attributes: { last_analysis_stats: { malicious: 'many' } } } } });
    const ask = await loadProviders();
    expect((await ask(HASH_REPUTATION, { hash: CLEAN_SHA256 })).error).toBe('VirusTotal answered HTTP 503 (TransientError: Try again later)');
    expect((await ask(DOMAIN_INFO, { domain: 'example.com' })).error).toMatch(/^VirusTotal answered an unexpected domain object \(data\.attributes\.last_analysis_stats\.malicious: /);
  });
});
