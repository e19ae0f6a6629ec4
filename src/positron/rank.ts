// Merging and ranking: answers with the same merge key are one answer, keeping every source. Order:
//   1. agreement: how many distinct providers gave it;
//   2. weight: the best priority x confidence among its sources;
//   3. freshness: the newest observedAt among its sources (answers without one count as oldest);
//   4. the merge key, so equal answers always come out in the same order.
import type { QueryType } from './query-types.js';
import type { ProviderOutcome } from './fanout.js';

export interface AnswerSource {
  provider: string;
  confidence: number;
  priority: number;
  observedAt?: string;
}

export interface RankedAnswer {
  key: string;
  /** The value from the highest-weighted source. */
  value: unknown;
  summary: string;
  agreement: number;
  weight: number;
  freshest?: string;
  sources: AnswerSource[];
}

export function rankAnswers(query: QueryType, outcomes: readonly ProviderOutcome[]): RankedAnswer[] {
  const byKey = new Map<string, { value: unknown; bestWeight: number; sources: AnswerSource[] }>();
  for (const outcome of outcomes) {
    for (const answer of outcome.answers) {
      const key = query.mergeKey(answer.value);
      const confidence = answer.confidence ?? 1;
      const weight = outcome.priority * confidence;
      const entry = byKey.get(key) ?? { value: answer.value, bestWeight: -Infinity, sources: [] };
      if (weight > entry.bestWeight) {
        entry.bestWeight = weight;
        entry.value = answer.value;
      }
      entry.sources.push({ provider: outcome.provider, confidence, priority: outcome.priority, ...(answer.observedAt ? { observedAt: answer.observedAt } : {}) });
      byKey.set(key, entry);
    }
  }
  const ranked: RankedAnswer[] = [...byKey].map(([key, e]) => {
    const times = e.sources.map((s) => (s.observedAt ? Date.parse(s.observedAt) : NaN)).filter(Number.isFinite);
    return {
      key,
      value: e.value,
      summary: query.summarize(e.value),
      agreement: new Set(e.sources.map((s) => s.provider)).size,
      weight: e.bestWeight,
      ...(times.length ? { freshest: new Date(Math.max(...times)).toISOString() } : {}),
      sources: e.sources,
    };
  });
  return ranked.sort(
    (a, b) =>
      b.agreement - a.agreement ||
      b.weight - a.weight ||
      (b.freshest ? Date.parse(b.freshest) : -Infinity) - (a.freshest ? Date.parse(a.freshest) : -Infinity) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}
