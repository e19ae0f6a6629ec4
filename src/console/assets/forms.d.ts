// The types of forms.js (plain JavaScript, run by the browser as is).

export declare const MAX_PART_ROWS: number;
export declare const MAX_ENRICHMENT_ROWS: number;
export declare const SEVERITIES: readonly string[];
export declare const TEMPLATES: readonly string[];

export type Form = Record<string, string | string[]>;

export interface Issue {
  path: string;
  message: string;
}

export interface PartRow {
  type: string;
  source: string;
  count: string;
  where: string;
  /** The form row it came from (the error slot `parts.<row>`). */
  row: number;
}

export interface RuleFormData {
  kind: 'structured' | 'expr';
  id: string;
  name: string;
  description: string;
  severity: string;
  team: string;
  template: string;
  expr: string;
  window: string;
  groupBy: string;
  ordered: boolean;
  keepAlive: string;
  maxDuration: string;
  parts: PartRow[];
}

export interface Placed {
  errors: Record<string, string>;
  general: string[];
}

export interface EnrichmentRow {
  i: number;
  source: string;
  type: string;
  query: string;
  from: string;
  to: string;
  field: string;
}

export declare function formData(form: Form): RuleFormData;
export declare function toDefinition(d: RuleFormData): Record<string, unknown>;
export declare function fromDefinition(def: Record<string, unknown>): RuleFormData;
export declare function placeIssues(d: RuleFormData, issues: readonly Issue[]): Placed;
export declare function enrichmentRows(rules: readonly { source?: string | string[]; type?: string | string[]; query: string; from: string; to: string; field?: string }[]): EnrichmentRow[];
export declare function enrichmentFromForm(form: Form): { rules: Record<string, unknown>[]; rows: number[] };
export declare function placeEnrichmentIssues(rows: readonly number[], issues: readonly Issue[]): Placed;
export declare function apiIssues(body: unknown): Issue[];
