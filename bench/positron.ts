// Positron fan-out figures: with five providers of known latency the query should take as long as the
// slowest one (plus a little), a hung provider should cost exactly its deadline, and the fan-out machinery
// itself should cost microseconds per query.
import { fanOut, type Provider } from '../src/positron/fanout.js';
import { rankAnswers } from '../src/positron/rank.js';
import { IP_TO_HOSTNAME, type QueryType } from '../src/positron/query-types.js';

const query = IP_TO_HOSTNAME as QueryType;
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });

function provider(id: string, latencyMs: number): Provider {
  return {
    id,
    query: 'IP_TO_HOSTNAME',
    priority: 1,
    answer: async (_input, signal) => {
      if (latencyMs > 0) await sleep(latencyMs, signal);
      return [{ value: { hostname: `${id}.example` } }];
    },
  };
}

async function timeQuery(providers: Provider[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  const outcomes = await fanOut(query, providers, { ip: '10.0.0.1' }, { defaultTimeoutMs: timeoutMs });
  rankAnswers(query, outcomes);
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export interface PositronBench {
  latencies: number[];
  slowestMs: number;
  totalMs: number;
  overSlowestMs: number;
  hungDeadlineMs: number;
  hungTotalMs: number;
  fanOutOverheadUs: number;
}

export async function benchPositron(): Promise<PositronBench> {
  const latencies = [10, 25, 40, 60, 80];
  const five = latencies.map((ms, i) => provider(`p${i}`, ms));
  const runs: number[] = [];
  for (let i = 0; i < 15; i++) runs.push(await timeQuery(five, 5000));
  const totalMs = median(runs);

  const hungDeadlineMs = 200;
  const hung: Provider = { id: 'hung', query: 'IP_TO_HOSTNAME', priority: 1, answer: () => new Promise(() => {}) };
  const hungRuns: number[] = [];
  for (let i = 0; i < 5; i++) hungRuns.push(await timeQuery([hung, provider('fast', 5)], hungDeadlineMs));

  // Overhead: providers that answer at once; what remains is fan-out, validation and ranking.
  const instant = Array.from({ length: 5 }, (_, i) => provider(`i${i}`, 0));
  const iterations = 20_000;
  for (let i = 0; i < 1000; i++) await timeQuery(instant, 5000);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await timeQuery(instant, 5000);
  const fanOutOverheadUs = ((performance.now() - started) / iterations) * 1000;

  const slowestMs = Math.max(...latencies);
  return {
    latencies,
    slowestMs,
    totalMs: round(totalMs),
    overSlowestMs: round(totalMs - slowestMs),
    hungDeadlineMs,
    hungTotalMs: round(median(hungRuns)),
    fanOutOverheadUs: round(fanOutOverheadUs),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
