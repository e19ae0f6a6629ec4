// What callers of Positron see: who asks, and what comes back. Kept apart from the service so the plugin API
// (src/plugins/types.ts) can name these types without importing the service that implements them.
import type { ProviderStatus } from './fanout.js';
import type { RankedAnswer } from './rank.js';

export type Caller =
  | { kind: 'slack'; userId: string }
  | { kind: 'api'; key: string; groups: readonly string[] }
  | { kind: 'cli'; user: string }
  /** taser itself, e.g. signal enrichment: configured by the operator, so not subject to the ACL. */
  | { kind: 'system'; name: string };

export interface PositronResult {
  query: string;
  input: unknown;
  top?: RankedAnswer;
  alternatives: RankedAnswer[];
  providers: { provider: string; status: ProviderStatus; ms: number; error?: string }[];
  cached: boolean;
  at: string;
}

export interface QueryDescription {
  name: string;
  usage: string;
  description: string;
  /** The caller may run it. */
  allowed: boolean;
  /** The ACL groups that may run it (positron.acl); empty: everyone, unless it is sensitive (then nobody). */
  groups: string[];
  /** How many enabled providers answer it. */
  providers: number;
}
