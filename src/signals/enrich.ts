// Enrichment: configured per source and type, it adds artifacts to signals by asking Positron
// (e.g. IP_TO_HOSTNAME for a src_ip) before they are stored and correlated, so a rule can group on a hostname that
// only the DHCP leases know. Best effort: a Positron failure is logged and the signal is correlated as it is.
import { z } from 'zod';
import type { Logger } from '../app/logger.js';
import type { PositronApi } from '../plugins/types.js';
import { normalizeTypeName, normalizeValues } from './normalize.js';
import type { Signal } from './signal.js';
import { signalKey } from './store.js';

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const enrichmentSchema = z
  .array(
    z.strictObject({
      /** Only signals of these sources / types (any when absent). */
      source: oneOrMany.optional(),
      type: oneOrMany.optional(),
      /** A Positron query name, e.g. IP_TO_HOSTNAME. */
      query: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a Positron query name such as IP_TO_HOSTNAME'),
      /** The artifact whose value(s) are the query's argument. */
      from: z.string().min(1),
      /** The artifact the answers go to; an existing value is kept. */
      to: z.string().min(1),
      /** The answer's field to take (e.g. "hostname"); default: the answer's one-line summary. */
      field: z.string().min(1).optional(),
    }),
  )
  .default([]);
export type EnrichmentRule = z.infer<typeof enrichmentSchema>[number];

/** At most this many values of one artifact are looked up (an array of 500 IPs must not start 500 queries). */
const MAX_VALUES = 5;

const asSet = (v: string | string[] | undefined, f: (s: string) => string) => (v === undefined ? undefined : new Set((Array.isArray(v) ? v : [v]).map(f)));

export class Enricher {
  private rules: { rule: EnrichmentRule; sources?: Set<string>; types?: Set<string> }[] = [];

  constructor(
    rules: EnrichmentRule[],
    private readonly deps: { positron: PositronApi; logger: Logger },
  ) {
    this.setRules(rules);
  }

  /** Replaces the rules (the console's edits, read from the database); signals in flight keep the old set. */
  setRules(rules: EnrichmentRule[]): void {
    this.rules = rules.map((rule) => ({ rule, sources: asSet(rule.source, (s) => s.toLowerCase()), types: asSet(rule.type, normalizeTypeName) }));
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  /** Adds artifacts to the signals (in place), before they are stored. Never throws for a Positron failure. */
  async enrich(signals: Signal[]): Promise<void> {
    if (!this.rules.length) return;
    await Promise.all(signals.map((s) => this.enrichOne(s)));
  }

  private async enrichOne(signal: Signal): Promise<void> {
    const added: Record<string, string | string[]> = {};
    for (const { rule, sources, types } of [...this.rules]) {
      if (sources && !sources.has(signal.source.toLowerCase())) continue;
      if (types && !types.has(normalizeTypeName(signal.type))) continue;
      if (signal.artifacts[rule.to] !== undefined || added[rule.to] !== undefined) continue;
      const values = normalizeValues(signal.artifacts[rule.from]).slice(0, MAX_VALUES);
      const answers: string[] = [];
      for (const value of values) {
        try {
          const result = await this.deps.positron.run({ kind: 'system', name: 'enrichment' }, rule.query, { args: [value] });
          const top = result.top;
          if (!top) continue;
          const picked = rule.field ? (top.value as Record<string, unknown>)[rule.field] : top.summary;
          if (typeof picked === 'string' || typeof picked === 'number') answers.push(String(picked));
        } catch (err) {
          this.deps.logger.warn({ err, signal: signalKey(signal), query: rule.query, value }, 'enrichment query failed; the signal is correlated without it');
        }
      }
      if (answers.length) added[rule.to] = answers.length === 1 ? answers[0]! : answers;
    }
    if (!Object.keys(added).length) return;
    Object.assign(signal.artifacts, added);
  }
}
