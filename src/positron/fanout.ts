// Asks every provider of a query at once. Each provider has its own deadline and an AbortSignal; one that
// fails, answers garbage or hangs is reported as such and never fails the query. A provider that ignores its
// AbortSignal still costs exactly its deadline: the race does not wait for it.
import type { QueryType } from './query-types.js';

export interface ProviderAnswer<O = unknown> {
  value: O;
  /** 0..1: how sure the provider is of this answer (default 1). */
  confidence?: number;
  /** When the underlying data was observed (ISO-8601), for freshness ranking. */
  observedAt?: string;
}

export interface Provider<I = unknown, O = unknown> {
  /** `namespace:name`, shown in results and audit. */
  id: string;
  query: string;
  /** Higher wins ties between equally agreed answers (default 1). */
  priority: number;
  timeoutMs?: number;
  answer(input: I, signal: AbortSignal): Promise<ProviderAnswer<O>[]>;
}

export type ProviderStatus = 'answered' | 'empty' | 'failed' | 'timeout';

export interface ProviderOutcome {
  provider: string;
  priority: number;
  status: ProviderStatus;
  answers: ProviderAnswer[];
  error?: string;
  ms: number;
}

/** Time as Positron sees it; tests pass a controlled clock instead of waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

async function askOne(query: QueryType, provider: Provider, input: unknown, timeoutMs: number, clock: Clock): Promise<ProviderOutcome> {
  const started = clock.now();
  const controller = new AbortController();
  let timer: unknown;
  const deadline = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      const err = new DeadlineError(`no answer within ${timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const base = { provider: provider.id, priority: provider.priority };
  try {
    const raw = await Promise.race([Promise.resolve().then(() => provider.answer(input, controller.signal)), deadline]);
    if (!Array.isArray(raw)) throw new Error('the provider returned something other than a list of answers');
    const answers: ProviderAnswer[] = [];
    const problems: string[] = [];
    raw.forEach((answer, i) => {
      const parsed = query.output.safeParse(answer?.value);
      const confidence = answer?.confidence ?? 1;
      if (!parsed.success) problems.push(`answer ${i}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join(', ')}`);
      else if (!(confidence >= 0 && confidence <= 1)) problems.push(`answer ${i}: confidence must be between 0 and 1`);
      else answers.push({ value: parsed.data, confidence, observedAt: answer.observedAt });
    });
    if (problems.length && !answers.length) return { ...base, status: 'failed', answers: [], error: problems.join('; '), ms: clock.now() - started };
    return {
      ...base,
      status: answers.length ? 'answered' : 'empty',
      answers,
      ...(problems.length ? { error: `ignored invalid answers: ${problems.join('; ')}` } : {}),
      ms: clock.now() - started,
    };
  } catch (err) {
    const timedOut = err instanceof DeadlineError;
    return { ...base, status: timedOut ? 'timeout' : 'failed', answers: [], error: (err as Error).message, ms: clock.now() - started };
  } finally {
    clock.clearTimeout(timer);
    // Cancel whatever the provider still has in flight (a no-op when it already finished).
    if (!controller.signal.aborted) controller.abort(new Error('query finished'));
  }
}

export async function fanOut(
  query: QueryType,
  providers: readonly Provider[],
  input: unknown,
  options: { defaultTimeoutMs: number; clock?: Clock },
): Promise<ProviderOutcome[]> {
  const clock = options.clock ?? systemClock;
  return Promise.all(providers.map((p) => askOne(query, p, input, p.timeoutMs ?? options.defaultTimeoutMs, clock)));
}
