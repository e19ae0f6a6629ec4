import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { fanOut, type Provider } from './fanout.js';
import { rankAnswers } from './rank.js';
import { IP_TO_HOSTNAME, type QueryType } from './query-types.js';

const query = IP_TO_HOSTNAME as QueryType;

function provider(id: string, delayMs: number, clock: FakeClock, answers: unknown[] | Error, priority = 1): Provider & { aborted: boolean } {
  const p = {
    id,
    query: 'IP_TO_HOSTNAME',
    priority,
    aborted: false,
    async answer(_input: unknown, signal: AbortSignal) {
      signal.addEventListener('abort', () => (p.aborted = true));
      await clock.sleep(delayMs);
      if (answers instanceof Error) throw answers;
      return answers as never;
    },
  };
  return p;
}

describe('Positron fan-out', () => {
  it('asks every provider at once: the query takes as long as the slowest, not the sum', async () => {
    const clock = new FakeClock();
    const providers = [10, 40, 25].map((ms, i) => provider(`p${i}`, ms, clock, [{ value: { hostname: 'web01' } }]));
    const done = fanOut(query, providers, { ip: '10.0.0.1' }, { defaultTimeoutMs: 5000, clock });
    await clock.advance(40);
    const outcomes = await done;
    expect(outcomes.map((o) => [o.provider, o.status, o.ms])).toEqual([
      ['p0', 'answered', 10],
      ['p1', 'answered', 40],
      ['p2', 'answered', 25],
    ]);
  });

  it('a hung provider costs exactly its deadline, is aborted, and does not fail the query', async () => {
    const clock = new FakeClock();
    const hung = provider('hung', 1e9, clock, []);
    hung.timeoutMs = 300;
    const fast = provider('fast', 5, clock, [{ value: { hostname: 'web01' } }]);
    const done = fanOut(query, [hung, fast], { ip: '10.0.0.1' }, { defaultTimeoutMs: 5000, clock });
    await clock.advance(300);
    const [h, f] = await done;
    expect(h).toMatchObject({ status: 'timeout', ms: 300, error: 'no answer within 300 ms' });
    expect(hung.aborted).toBe(true);
    expect(f).toMatchObject({ status: 'answered' });
  });

  it('isolates failing providers and invalid answers', async () => {
    const clock = new FakeClock();
    const outcomes = fanOut(
      query,
      [
        provider('boom', 1, clock, new Error('connection refused')),
        provider('garbage', 1, clock, [{ value: { hostname: 'not a host!' } }]),
        provider('mixed', 1, clock, [{ value: { hostname: 'ok.example' } }, { value: { nope: 1 } }]),
        provider('none', 1, clock, []),
      ],
      { ip: '10.0.0.1' },
      { defaultTimeoutMs: 100, clock },
    );
    await clock.advance(1);
    const [boom, garbage, mixed, none] = await outcomes;
    expect(boom).toMatchObject({ status: 'failed', error: 'connection refused' });
    expect(garbage).toMatchObject({ status: 'failed' });
    expect(garbage!.error).toMatch(/answer 0: hostname: must be a hostname/);
    expect(mixed).toMatchObject({ status: 'answered', answers: [{ value: { hostname: 'ok.example' } }] });
    expect(mixed!.error).toMatch(/ignored invalid answers/);
    expect(none).toMatchObject({ status: 'empty' });
  });
});

describe('Positron ranking', () => {
  const outcome = (provider: string, priority: number, answers: { value: unknown; confidence?: number; observedAt?: string }[]) => ({
    provider,
    priority,
    status: 'answered' as const,
    answers,
    ms: 1,
  });

  it('merges equal answers keeping every source, and ranks agreement first', () => {
    const ranked = rankAnswers(query, [
      outcome('dns', 1, [{ value: { hostname: 'web01.corp.example' } }]),
      outcome('dhcp', 1, [{ value: { hostname: 'WEB01.corp.example.' }, observedAt: '2026-11-20T00:00:00Z' }]),
      outcome('cmdb', 5, [{ value: { hostname: 'legacy-host' } }]),
    ]);
    expect(ranked.map((r) => [r.key, r.agreement])).toEqual([
      ['web01.corp.example', 2],
      ['legacy-host', 1],
    ]);
    expect(ranked[0]!.sources.map((s) => s.provider)).toEqual(['dns', 'dhcp']);
  });

  it('breaks ties by priority x confidence, then freshness', () => {
    const byWeight = rankAnswers(query, [
      outcome('a', 1, [{ value: { hostname: 'low' }, confidence: 0.5 }]),
      outcome('b', 1, [{ value: { hostname: 'high' }, confidence: 0.9 }]),
    ]);
    expect(byWeight.map((r) => r.key)).toEqual(['high', 'low']);
    const byFreshness = rankAnswers(query, [
      outcome('a', 1, [{ value: { hostname: 'old' }, observedAt: '2026-01-01T00:00:00Z' }]),
      outcome('b', 1, [{ value: { hostname: 'new' }, observedAt: '2026-11-01T00:00:00Z' }]),
    ]);
    expect(byFreshness.map((r) => r.key)).toEqual(['new', 'old']);
  });
});
