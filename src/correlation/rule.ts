// Correlation rules: the structured form (YAML/JSON) and the compact `expr` form, validated with errors that
// name the rule and the field, and compiled for the engine. Type names compare case-insensitively with runs
// of spaces, underscores and hyphens as one underscore, in both forms and on both sides (rule and signal);
// `where` values and sources compare after artifact normalization.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { severitySchema, type Severity } from '../signals/signal.js';
import { normalizeTypeName, normalizeValue } from '../signals/normalize.js';
import { parseDuration } from './duration.js';
import { CompactParseError, parseCompact } from './compact.js';
import { confirmOptionSchema, type ConfirmOption } from '../confirmations/model.js';

/**
 * Bounds on every number in a rule: the engine keeps counts in 32-bit integers and times in microseconds,
 * and a rule beyond these is a mistake (a count no group reaches, a window longer than any retention).
 */
export const RULE_LIMITS = { maxCount: 100_000, maxDurationMs: 366 * 86_400_000, maxParts: 16 } as const;

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);
const scalar = z.union([z.string(), z.number()]);

/** A duration's milliseconds, or why it is not a valid duration in a rule. */
function ruleDurationMs(value: unknown): number | { error: string } {
  const d = parseDuration(value);
  if (typeof d !== 'number') return d;
  if (d > RULE_LIMITS.maxDurationMs) return { error: `must be at most 366 days (found ${JSON.stringify(value)})` };
  return d;
}

// Checked here too (not only when compiling), so a bad duration is reported with the rule's other problems.
const duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const d = ruleDurationMs(value);
  if (typeof d !== 'number') ctx.addIssue({ code: 'custom', message: d.error });
});

const matchSchema = z.strictObject({
  type: oneOrMany(z.string().min(1)).optional(),
  source: oneOrMany(z.string().min(1)).optional(),
  severity: oneOrMany(severitySchema).optional(),
  /** artifact field -> value (or any of several values), compared after normalization */
  where: z.record(z.string(), oneOrMany(scalar)).optional(),
});

const partSchema = z.strictObject({
  match: matchSchema,
  count: z.number().int('must be an integer').min(1, 'must be at least 1').max(RULE_LIMITS.maxCount, `must be at most ${RULE_LIMITS.maxCount}`),
});

const ruleSchema = z
  .strictObject({
    id: z.string().min(1, 'required').regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : and - only'),
    name: z.string().optional(),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    severity: severitySchema.default('medium'),
    team: z.string().optional(),
    template: z.string().optional(),
    expr: z.string().optional(),
    parts: z.array(partSchema).min(1, 'needs at least one part').max(RULE_LIMITS.maxParts, `at most ${RULE_LIMITS.maxParts} parts`).optional(),
    window: duration.optional(),
    groupBy: z.array(z.string().min(1)).optional(),
    ordered: z.boolean().optional(),
    keepAlive: duration.optional(),
    maxDuration: duration.optional(),
    /** Ask the user named by an artifact whether it was them (src/confirmations/, docs/confirmations.md). */
    confirm: confirmOptionSchema.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.expr !== undefined) {
      for (const key of ['parts', 'window', 'groupBy', 'ordered'] as const) {
        if (rule[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'give either expr or parts/window/groupBy/ordered, not both' });
      }
    } else {
      if (rule.parts === undefined) ctx.addIssue({ code: 'custom', path: ['parts'], message: 'required (or give expr)' });
      if (rule.window === undefined) ctx.addIssue({ code: 'custom', path: ['window'], message: 'required (or give expr)' });
    }
  });

export type RuleInput = z.input<typeof ruleSchema>;

/** A rule as written, normalized to the structured form (the compact form expanded). */
export interface Rule {
  id: string;
  name?: string;
  description?: string;
  enabled: boolean;
  severity: Severity;
  team?: string;
  template?: string;
  expr?: string;
  parts: { match: { type?: string[]; source?: string[]; severity?: Severity[]; where?: Record<string, (string | number)[]> }; count: number }[];
  windowMs: number;
  groupBy: string[];
  ordered: boolean;
  keepAliveMs: number;
  maxDurationMs?: number;
  confirm?: ConfirmOption;
}

export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const list = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Validates one rule; `label` names it in errors (its id when it has one). */
export function parseRule(input: unknown, label: string): Rule {
  const parsed = ruleSchema.safeParse(input);
  const named = (input as { id?: unknown } | null)?.id;
  const who = typeof named === 'string' && named ? `rule "${named}"` : label;
  if (!parsed.success) {
    throw new RuleError(parsed.error.issues.map((i) => `${who}: ${i.path.length ? i.path.join('.') : '(rule)'}: ${i.message}`));
  }
  const r = parsed.data;
  const problems: string[] = [];
  let parts: Rule['parts'];
  let window: string | number;
  let groupBy: string[];
  let ordered: boolean;
  if (r.expr !== undefined) {
    try {
      const compact = parseCompact(r.expr);
      compact.parts.forEach((p, i) => {
        if (p.count > RULE_LIMITS.maxCount) problems.push(`${who}: expr: part ${i + 1}: the count must be at most ${RULE_LIMITS.maxCount}`);
      });
      parts = compact.parts.map((p) => ({ match: { type: [p.type] }, count: p.count }));
      window = compact.window;
      groupBy = compact.groupBy;
      ordered = compact.ordered;
    } catch (err) {
      if (err instanceof CompactParseError) throw new RuleError([`${who}: expr: ${err.message}`]);
      throw err;
    }
  } else {
    parts = r.parts!.map((p) => ({
      match: {
        type: list(p.match.type),
        source: list(p.match.source),
        severity: list(p.match.severity),
        where: p.match.where ? Object.fromEntries(Object.entries(p.match.where).map(([k, v]) => [k, list(v)!])) : undefined,
      },
      count: p.count,
    }));
    window = r.window!;
    groupBy = r.groupBy ?? [];
    ordered = r.ordered ?? false;
  }
  const ms = (value: unknown, field: string): number | undefined => {
    const d = ruleDurationMs(value);
    if (typeof d === 'number') return d;
    problems.push(`${who}: ${field}: ${d.error}`);
    return undefined;
  };
  const windowMs = ms(window, r.expr !== undefined ? 'expr: IN [...]' : 'window');
  const keepAliveMs = r.keepAlive === undefined ? windowMs : ms(r.keepAlive, 'keepAlive');
  const maxDurationMs = r.maxDuration === undefined ? undefined : ms(r.maxDuration, 'maxDuration');
  if (new Set(groupBy).size !== groupBy.length) problems.push(`${who}: groupBy: lists a field twice`);
  // An empty value counts as missing (SEMANTICS.md), so a `where` on it could never match: a mistake.
  parts.forEach((p, i) => {
    for (const [field, values] of Object.entries(p.match.where ?? {})) {
      if (values.some((v) => normalizeValue(v) === undefined)) problems.push(`${who}: parts.${i}.match.where.${field}: an empty value never matches (empty counts as missing)`);
    }
  });
  if (parts.length > RULE_LIMITS.maxParts) problems.push(`${who}: ${r.expr !== undefined ? 'expr' : 'parts'}: at most ${RULE_LIMITS.maxParts} parts`);
  if (problems.length) throw new RuleError(problems);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: r.enabled,
    severity: r.severity,
    team: r.team,
    template: r.template,
    expr: r.expr,
    parts,
    windowMs: windowMs!,
    groupBy,
    ordered,
    keepAliveMs: keepAliveMs!,
    maxDurationMs,
    ...(r.confirm ? { confirm: r.confirm } : {}),
  };
}

/** A list of rules or `{ rules: [...] }`; every problem of every rule is reported, and ids must be unique. */
export function parseRules(input: unknown): Rule[] {
  const items = Array.isArray(input) ? input : (input as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(items)) throw new RuleError(['rules: expected a list of rules, or an object with a "rules" list']);
  const problems: string[] = [];
  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    // Ids are checked before the rest, so a duplicate is reported even when the first of the two is malformed.
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id === 'string') {
      const first = seen.get(id);
      if (first !== undefined) problems.push(`rule "${id}": id: used by rules[${first}] and rules[${i}]`);
      else seen.set(id, i);
    }
    try {
      rules.push(parseRule(item, `rules[${i}]`));
    } catch (err) {
      if (err instanceof RuleError) problems.push(...err.problems);
      else throw err;
    }
  });
  if (problems.length) throw new RuleError(problems);
  return rules;
}

/** Reads a YAML or JSON rules file (JSON is YAML). */
export function loadRulesFile(path: string): Rule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuleError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new RuleError([`${path}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseRules(data);
}

// ---------------------------------------------------------------- compiled form

export interface CompiledPart {
  types?: Set<string>;
  sources?: Set<string>;
  severities?: Set<Severity>;
  where?: [string, Set<string>][];
  count: number;
}

export interface CompiledRule {
  rule: Rule;
  /** Identity of this rule's state: a new version of a rule starts with fresh state. */
  key: string;
  parts: CompiledPart[];
  /** Times are in microseconds inside the engine. */
  windowUs: number;
  keepAliveUs: number;
  maxDurationUs?: number;
  groupBy: string[];
  ordered: boolean;
  /** demand[S] = sum of counts of the parts in subset S (bitmask), for the Hall check. */
  demand: Int32Array;
  totalCount: number;
  /** The normalized types any part can match, or undefined when a part matches every type. */
  types?: Set<string>;
}

const normalizedSet = (values: (string | number)[] | undefined, f: (v: string) => string): Set<string> | undefined =>
  values ? new Set(values.map((v) => f(String(v)))) : undefined;

export function compileRule(rule: Rule, key = rule.id): CompiledRule {
  const parts: CompiledPart[] = rule.parts.map((p) => ({
    types: normalizedSet(p.match.type, normalizeTypeName),
    sources: normalizedSet(p.match.source, (s) => s.trim().toLowerCase()),
    severities: p.match.severity ? new Set(p.match.severity) : undefined,
    where: p.match.where
      ? Object.entries(p.match.where).map(([field, values]) => [field, new Set(values.map((v) => normalizeValue(v)).filter((v): v is string => v !== undefined))])
      : undefined,
    count: p.count,
  }));
  const n = parts.length;
  const demand = new Int32Array(1 << n);
  for (let s = 1; s < 1 << n; s++) {
    const low = s & -s;
    demand[s] = demand[s ^ low]! + parts[31 - Math.clz32(low)]!.count;
  }
  const anyType = parts.some((p) => !p.types);
  return {
    rule,
    key,
    parts,
    windowUs: rule.windowMs * 1000,
    keepAliveUs: rule.keepAliveMs * 1000,
    maxDurationUs: rule.maxDurationMs === undefined ? undefined : rule.maxDurationMs * 1000,
    groupBy: rule.groupBy,
    ordered: rule.ordered,
    demand,
    totalCount: demand[(1 << n) - 1]!,
    types: anyType ? undefined : new Set(parts.flatMap((p) => [...p.types!])),
  };
}
