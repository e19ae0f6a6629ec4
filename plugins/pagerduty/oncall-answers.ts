// Turns PagerDuty on-calls into ONCALL_FOR_TEAM answers: one per person, at their lowest escalation level,
// lowest level first. Level 1 is who gets paged now, so it is the surest answer to "who is on call".
import type { ProviderAnswer } from '../../src/positron/fanout.js';
import type { Oncall } from './client.js';

export interface OncallValue {
  oncall: { displayName?: string; email?: string };
  escalationLevel: number;
  schedule?: string;
  until?: string;
}

/** 1 for level 1, then halving: 0.5, 0.25, ... never below 0.1. */
export function confidenceForLevel(level: number): number {
  return Math.max(0.1, 1 / 2 ** Math.max(0, level - 1));
}

export function oncallAnswers(oncalls: readonly Oncall[]): ProviderAnswer<OncallValue>[] {
  const sorted = [...oncalls].sort((a, b) => a.escalation_level - b.escalation_level);
  const seen = new Set<string>();
  const answers: ProviderAnswer<OncallValue>[] = [];
  for (const o of sorted) {
    if (seen.has(o.user.id)) continue;
    seen.add(o.user.id);
    const displayName = o.user.name ?? o.user.summary ?? undefined;
    const email = o.user.email ?? undefined;
    answers.push({
      value: {
        oncall: { ...(displayName ? { displayName } : {}), ...(email ? { email } : {}) },
        escalationLevel: o.escalation_level,
        // Permanent on-call (a user directly on the policy) has no schedule and no end.
        ...(o.schedule?.summary ? { schedule: o.schedule.summary } : {}),
        ...(o.end ? { until: o.end } : {}),
      },
      confidence: confidenceForLevel(o.escalation_level),
    });
  }
  return answers;
}
