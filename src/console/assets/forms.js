// The rule and enrichment editors' forms <-> what /api/v1 takes, in one place for both sides: the server fills
// a form from a stored definition (fromDefinition, enrichmentRows), the browser turns the submitted form into
// the API's body (formData + toDefinition, enrichmentFromForm) and puts the API's 400 issues next to their
// fields (placeIssues, placeEnrichmentIssues). Plain JavaScript so the browser runs it as is (no build step);
// its types are in forms.d.ts.

export const MAX_PART_ROWS = 16;
export const MAX_ENRICHMENT_ROWS = 200;
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
export const TEMPLATES = ['', 'identity', 'endpoint', 'network'];
const ENRICHMENT_COLUMNS = ['source', 'type', 'query', 'from', 'to', 'field'];
const FIELDS = new Set(['id', 'name', 'description', 'severity', 'team', 'template', 'expr', 'window', 'groupBy', 'ordered', 'keepAlive', 'maxDuration']);

const one = (form, key) => {
  const v = form[key];
  return ((Array.isArray(v) ? v[v.length - 1] : v) ?? '').trim();
};
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const oneOrList = (text) => {
  const items = list(text);
  return items.length === 0 ? undefined : items.length === 1 ? items[0] : items;
};
const text = (v) => (v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));

/** `where` as typed: `field=value, field=value2` (a field named twice matches any of its values). */
function parseWhere(typed) {
  const where = {};
  for (const pair of list(typed)) {
    const eq = pair.indexOf('=');
    const field = eq > 0 ? pair.slice(0, eq).trim() : pair;
    (where[field] ??= []).push(eq > 0 ? pair.slice(eq + 1).trim() : '');
  }
  const entries = Object.entries(where).map(([f, vs]) => [f, vs.length === 1 ? vs[0] : vs]);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The editor's fields; a part row left empty is dropped (each part keeps its form row number in `row`). */
export function formData(form) {
  const parts = [];
  for (let i = 0; i < MAX_PART_ROWS; i++) {
    const p = { type: one(form, `parts.${i}.type`), source: one(form, `parts.${i}.source`), count: one(form, `parts.${i}.count`), where: one(form, `parts.${i}.where`) };
    if (p.type || p.source || p.where || (p.count && i === 0)) parts.push({ ...p, row: i });
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
export function toDefinition(d) {
  const def = { id: d.id };
  if (d.name) def.name = d.name;
  if (d.description) def.description = d.description;
  def.severity = d.severity;
  if (d.team) def.team = d.team;
  if (d.template) def.template = d.template;
  if (d.kind === 'expr') {
    def.expr = d.expr;
  } else {
    def.parts = d.parts.map((p) => {
      const match = {};
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

/** A stored definition as the form shows it (either form). */
export function fromDefinition(def) {
  const parts = Array.isArray(def.parts) ? def.parts : [];
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
    parts: parts.map((p, row) => ({
      type: text(p.match?.type),
      source: text(p.match?.source),
      count: text(p.count),
      where: Object.entries(p.match?.where ?? {})
        .flatMap(([f, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${f}=${String(x)}`))
        .join(', '),
      row,
    })),
  };
}

const joined = (before, message) => (before ? `${before}; ${message}` : message);

/**
 * Issues (`{path, message}`, as the API's 400 gives them) by the slot they belong in: `errors` by the name of
 * the field's error slot (`window`, `parts.<form row>`), the rest in `general`.
 */
export function placeIssues(d, issues) {
  const errors = {};
  const general = [];
  for (const { path, message } of issues) {
    const top = path.split('.')[0];
    const part = /^parts\.(\d+)(?:\.(.*))?$/.exec(path);
    const row = part ? d.parts[Number(part[1])] : undefined;
    if (row) {
      const key = `parts.${row.row}`;
      errors[key] = joined(errors[key], `${part[2] ? `${part[2]}: ` : ''}${message}`);
    } else if (FIELDS.has(top) || top === 'parts') {
      errors[top] = joined(errors[top], path === top ? message : `${path}: ${message}`);
    } else general.push(`${path}: ${message}`);
  }
  return { errors, general };
}

/** Stored enrichment rules as the editor's rows. */
export function enrichmentRows(rules) {
  return rules.map((r, i) => ({ i, source: text(r.source), type: text(r.type), query: r.query, from: r.from, to: r.to, field: r.field ?? '' }));
}

/** The enrichment form's rules (a row left empty is dropped; `rows[k]` is the form row of rule k). */
export function enrichmentFromForm(form) {
  const rules = [];
  const rows = [];
  const listed = (v) => {
    const items = list(v);
    return items.length > 1 ? items : items[0];
  };
  for (let i = 0; i < MAX_ENRICHMENT_ROWS; i++) {
    const cell = Object.fromEntries(ENRICHMENT_COLUMNS.map((c) => [c, one(form, `rules.${i}.${c}`)]));
    if (ENRICHMENT_COLUMNS.every((c) => !cell[c])) continue;
    const rule = { query: cell.query, from: cell.from, to: cell.to };
    if (cell.source) rule.source = listed(cell.source);
    if (cell.type) rule.type = listed(cell.type);
    if (cell.field) rule.field = cell.field;
    rules.push(rule);
    rows.push(i);
  }
  return { rules, rows };
}

/** Enrichment issues (`rules.<k>.<column>`) by their row's error slot (`rules.<form row>`), the rest in `general`. */
export function placeEnrichmentIssues(rows, issues) {
  const errors = {};
  const general = [];
  for (const { path, message } of issues) {
    const m = /^rules\.(\d+)(?:\.(.*))?$/.exec(path);
    const row = m ? rows[Number(m[1])] : undefined;
    if (row !== undefined) errors[`rules.${row}`] = joined(errors[`rules.${row}`], `${m[2] ?? 'rule'}: ${message}`);
    else general.push(`${path}: ${message}`);
  }
  return { errors, general };
}

/** The problems of an API 400, as `{path, message}`: a handler's `issues`, or the request schema's `problems`. */
export function apiIssues(body) {
  if (Array.isArray(body?.issues)) return body.issues;
  if (Array.isArray(body?.problems)) return body.problems.map((p) => (typeof p === 'string' ? { path: '(request)', message: p } : { path: p.field, message: p.message }));
  return [];
}
