// Turns a Positron result into the data the `positron-result` template renders (also used by alert-card
// lookups), so every surface shows answers, sources and provider outcomes the same way.
import type { PositronResult } from './service.js';

export interface ResultView {
  query: string;
  input: string;
  /** One line for notifications: "IP_TO_HOSTNAME 10.1.2.3: web01". */
  headline: string;
  /** Provider outcomes, and whether the answer came from the cache. */
  footer: string;
  top: { summary: string; sources: string; agreement: number } | null;
  alternatives: { summary: string; sources: string }[];
  failures: string[];
  /** What to say when there is no top answer: nobody answers this query, or they failed, or found nothing. */
  noAnswer: string;
}

const MAX_ALTERNATIVES = 10;

export function presentResult(result: PositronResult): ResultView {
  const sources = (r: { sources: { provider: string }[] }) => [...new Set(r.sources.map((s) => s.provider))].join(', ');
  const input = Object.values(result.input as Record<string, unknown>).map(String).join(' ');
  const providers = result.providers.map((p) => `${p.provider}: ${p.status} (${p.ms} ms)`).join(' · ') || 'no provider answers this query';
  const failures = result.providers.filter((p) => p.status === 'failed' || p.status === 'timeout').map((p) => `${p.provider}: ${p.error ?? p.status}`);
  return {
    query: result.query,
    input,
    headline: `${result.query} ${input}: ${result.top?.summary ?? 'no answer'}`,
    footer: result.cached ? `${providers} · cached` : providers,
    top: result.top ? { summary: result.top.summary, sources: sources(result.top), agreement: result.top.agreement } : null,
    alternatives: result.alternatives.slice(0, MAX_ALTERNATIVES).map((a) => ({ summary: a.summary, sources: sources(a) })),
    failures,
    noAnswer: !result.providers.length
      ? 'No enabled plugin answers this query.'
      : failures.length === result.providers.length
        ? 'No answer: every provider failed (reasons below).'
        : 'No provider had an answer.',
  };
}
