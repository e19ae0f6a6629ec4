// The rule editor's form <-> a rule definition (as written in the config file), and validation issues by
// field path -> the form field they belong next to. Two forms: structured (parts as rows) and compact (expr).
import type { Issue } from '../../rules-console/enrichment-store.js';

export const MAX_PART_ROWS = 16;
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const TEMPLATES = ['', 'identity', 'endpoint', 'network'] as const;

type Form = Record<string, string | string[]>;
const one = (form: Form, key: string): string => {
  const v = form[key];
  return ((Array.isArray(v) ? v[v.length - 1] : v) ?? '').trim();
};
const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const oneOrList = (text: string) => {
  const items = list(text);
  return items.length === 0 ? undefined : items.length === 1 ? items[0] : items;
};

export interface PartRow {
  type: string;
  source: string;
  count: string;
  where: string;
  error?: string;
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

/** `where` as typed: `field=value, field=value2` (a field named twice matches any of its values). */
function parseWhere(text: string): Record<string, string | string[]> | undefined {
  const where: Record<string, string[]> = {};
  for (const pair of list(text)) {
    const eq = pair.indexOf('=');
    const field = eq > 0 ? pair.slice(0, eq).trim() : pair;
    (where[field] ??= []).push(eq > 0 ? pair.slice(eq + 1).trim() : '');
  }
  const entries = Object.entries(where).map(([f, vs]) => [f, vs.length === 1 ? vs[0]! : vs] as const);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

export function formData(form: Form): RuleFormData {
  const parts: PartRow[] = [];
  for (let i = 0; i < MAX_PART_ROWS; i++) {
    const row = { type: one(form, `parts.${i}.type`), source: one(form, `parts.${i}.source`), count: one(form, `parts.${i}.count`), where: one(form, `parts.${i}.where`) };
    if (row.type || row.source || row.where || (row.count && i === 0)) parts.push(row);
  }
  return {
    kind: one(form, 'kind') === 'expr' ? 'expr' : 'structured',
    id: one(form, 'id'),
    name: one(form, 'name'),
    description: one(form, 'description'),
    severity: one(form, 'severity') || 'medium',
    team: one(form, 'team'),
    template: one(form, 'template'),
    expr: one(form, 'expr'),
    window: one(form, 'window'),
    groupBy: one(form, 'groupBy'),
    ordered: one(form, 'ordered') === 'on',
    keepAlive: one(form, 'keepAlive'),
    maxDuration: one(form, 'maxDuration'),
    parts,
  };
}

/** The definition the form describes; empty optional fields are left out. */
export function toDefinition(d: RuleFormData): Record<string, unknown> {
  const def: Record<string, unknown> = { id: d.id };
  if (d.name) def.name = d.name;
  if (d.description) def.description = d.description;
  def.severity = d.severity;
  if (d.team) def.team = d.team;
  if (d.template) def.template = d.template;
  if (d.kind === 'expr') {
    def.expr = d.expr;
  } else {
    def.parts = d.parts.map((p) => {
      const match: Record<string, unknown> = {};
      const type = oneOrList(p.type);
      const source = oneOrList(p.source);
      const where = parseWhere(p.where);
      if (type !== undefined) match.type = type;
      if (source !== undefined) match.source = source;
      if (where) match.where = where;
      const n = Number(p.count || '1');
      return { match, count: Number.isFinite(n) ? n : p.count };
    });
    def.window = d.window;
    const groupBy = list(d.groupBy);
    if (groupBy.length) def.groupBy = groupBy;
    if (d.ordered) def.ordered = true;
  }
  if (d.keepAlive) def.keepAlive = d.keepAlive;
  if (d.maxDuration) def.maxDuration = d.maxDuration;
  return def;
}

const text = (v: unknown): string => (v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));

/** A stored definition as the form shows it (either form). */
export function fromDefinition(def: Record<string, unknown>): RuleFormData {
  const parts = Array.isArray(def.parts) ? (def.parts as { match?: Record<string, unknown>; count?: unknown }[]) : [];
  return {
    kind: typeof def.expr === 'string' ? 'expr' : 'structured',
    id: text(def.id),
    name: text(def.name),
    description: text(def.description),
    severity: text(def.severity) || 'medium',
    team: text(def.team),
    template: text(def.template),
    expr: text(def.expr),
    window: text(def.window),
    groupBy: text(def.groupBy),
    ordered: def.ordered === true,
    keepAlive: text(def.keepAlive),
    maxDuration: text(def.maxDuration),
    parts: parts.map((p) => ({
      type: text(p.match?.type),
      source: text(p.match?.source),
      count: text(p.count),
      where: Object.entries((p.match?.where as Record<string, unknown>) ?? {})
        .flatMap(([f, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${f}=${String(x)}`))
        .join(', '),
    })),
  };
}

const FIELDS = new Set(['id', 'name', 'description', 'severity', 'team', 'template', 'expr', 'window', 'groupBy', 'ordered', 'keepAlive', 'maxDuration']);

/** Issues placed next to their field: `errors.<field>`, each part row's `error`, the rest in `general`. */
export function placeIssues(d: RuleFormData, issues: Issue[]): { errors: Record<string, string>; general: string[] } {
  const errors: Record<string, string> = {};
  const general: string[] = [];
  for (const { path, message } of issues) {
    const top = path.split('.')[0]!;
    const part = /^parts\.(\d+)(?:\.(.*))?$/.exec(path);
    if (part && d.parts[Number(part[1])]) {
      const row = d.parts[Number(part[1])]!;
      row.error = [row.error, `${part[2] ? `${part[2]}: ` : ''}${message}`].filter(Boolean).join('; ');
    } else if (FIELDS.has(top) || top === 'parts') {
      const key = top;
      errors[key] = [errors[key], path === key ? message : `${path}: ${message}`].filter(Boolean).join('; ');
    } else general.push(`${path}: ${message}`);
  }
  return { errors, general };
}
