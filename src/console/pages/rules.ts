// The rules pages: the list, one rule (definition, versions, audit), enable/disable (correlation admins, CSRF),
// and the editor (structured form or compact expr) with field and value pickers from what stored signals
// contain. Saving goes through the same operations as the HTTP API (src/rules-console/service.ts): a new
// version, audited, refused to non-admins.
import type { ConsoleRequest, ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import type { Editor, RulesConsole } from '../../rules-console/service.js';
import type { StoredRule } from '../../correlation/rule-store.js';
import type { Rule } from '../../correlation/rule.js';
import { formData, fromDefinition, placeIssues, SEVERITIES, TEMPLATES, toDefinition, type RuleFormData } from './rule-form.js';

const PICKER_DAYS = 30;

export function consoleEditor(c: ConsoleRequest, deps: ConsoleDeps): Editor {
  return { actor: `console:${c.user.id}`, isMember: (groups) => deps.access.isMember(c.user.id, groups) };
}

/** The picker lists: types, sources, fields, and `field=value` of each field's frequent values. */
export async function pickers(rc: RulesConsole) {
  const report = await rc.fields.report(new Date(Date.now() - PICKER_DAYS * 86_400_000), new Date(), 10);
  return {
    types: report.types.map((t) => t.value),
    sources: report.sources.map((s) => s.value),
    fields: report.fields.map((f) => f.field),
    whereValues: report.fields.flatMap((f) => f.values.map((v) => `${f.field}=${v.value}`)),
    fieldReport: report.fields,
  };
}

function describe(rule: Rule): string {
  const parts = rule.parts.map((p) => `${p.count} × ${p.match.type?.join(' or ') ?? 'any type'}${p.match.source ? ` from ${p.match.source.join('/')}` : ''}`).join(rule.ordered ? ' then ' : ' + ');
  return `${parts} within ${rule.windowMs / 60_000} min${rule.groupBy.length ? ` by ${rule.groupBy.join(', ')}` : ''}`;
}

export interface EditorExtra {
  mode: 'create' | 'edit';
  baseVersion?: number;
  errors?: Record<string, string>;
  general?: string[];
  status?: number;
}

/** The editor page for a form's data, with its errors next to the fields. */
export async function renderEditor(c: ConsoleRequest, rc: RulesConsole, d: RuleFormData, extra: EditorExtra): Promise<void> {
  const rowsWanted = Math.max(d.parts.length + 1, 2);
  const parts = [...d.parts, ...Array.from({ length: rowsWanted - d.parts.length }, () => ({ type: '', source: '', count: '', where: '' }))].map((p, i) => ({ ...p, i }));
  c.render(
    'rule-edit',
    {
      ...d,
      parts,
      structured: d.kind === 'structured',
      mode: extra.mode,
      editing: extra.mode === 'edit',
      baseVersion: extra.baseVersion,
      severities: SEVERITIES.map((s) => ({ value: s, selected: s === d.severity })),
      templates: TEMPLATES.map((t) => ({ value: t, label: t || 'generic', selected: t === d.template })),
      errors: extra.errors ?? {},
      general: extra.general ?? [],
      pick: await pickers(rc),
    },
    { title: extra.mode === 'edit' ? `Edit ${d.id}` : 'New rule', nav: 'rules', status: extra.status },
  );
}

const row = (r: StoredRule & { rule: Rule }) => ({ id: r._id, version: r.version, enabled: r.enabled, severity: r.rule.severity, team: r.rule.team, summary: r.rule.expr ?? describe(r.rule), updatedAt: r.updatedAt, updatedBy: r.updatedBy });

export function registerRulePages(router: ConsoleRouter, deps: ConsoleDeps & { rulesConsole: RulesConsole }): void {
  const rc = deps.rulesConsole;
  const rules = deps.correlation.rules;

  router.page('GET', '/ui/rules', async (c) => {
    const all = await rules.list();
    c.render('rules-list', { rules: all.map(row), notice: c.url.searchParams.get('notice') }, { title: 'Rules', nav: 'rules' });
  });

  const editorPage = (c: ConsoleRequest, d: RuleFormData, extra: EditorExtra) => renderEditor(c, rc, d, extra);

  router.page('GET', '/ui/rules/new', async (c) => {
    const kind = c.url.searchParams.get('form') === 'expr' ? 'expr' : 'structured';
    await editorPage(c, { ...formData({}), kind }, { mode: 'create' });
  });

  router.page('GET', '/ui/rules/:id', async (c) => {
    const found = await rules.get(c.params.id!);
    if (!found) return c.render('forbidden', { message: `There is no rule ${c.params.id}.` }, { title: 'Not found', status: 404, nav: 'rules' });
    const [versions, audit] = await Promise.all([rules.history(found._id), rules.audit.list(found._id, 20)]);
    c.render(
      'rule-view',
      { ...row(found), definition: found.definition, versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt, definition: v.definition })), audit, notice: c.url.searchParams.get('notice') },
      { title: `Rule ${found._id}`, nav: 'rules' },
    );
  });

  router.page('GET', '/ui/rules/:id/edit', async (c) => {
    const found = await rules.get(c.params.id!);
    if (!found) return c.render('forbidden', { message: `There is no rule ${c.params.id}.` }, { title: 'Not found', status: 404, nav: 'rules' });
    const d = fromDefinition(found.definition);
    const wanted = c.url.searchParams.get('form');
    if (wanted === 'expr' || wanted === 'structured') d.kind = wanted;
    await editorPage(c, d, { mode: 'edit', baseVersion: found.version });
  });

  // Save from the editor: the form, or a draft's definition as JSON (the simulator's "save this rule").
  router.page('POST', '/ui/rules/save', async (c) => {
    const mode = c.form.mode === 'edit' ? 'edit' : 'create';
    const baseVersion = typeof c.form.baseVersion === 'string' && /^\d+$/.test(c.form.baseVersion) ? Number(c.form.baseVersion) : undefined;
    let d: RuleFormData;
    let definition: Record<string, unknown>;
    if (typeof c.form.definition === 'string') {
      definition = JSON.parse(c.form.definition) as Record<string, unknown>;
      d = fromDefinition(definition);
    } else {
      d = formData(c.form);
      definition = toDefinition(d);
    }
    // A draft saved from the simulator is a new rule, or a new version of the rule with its id.
    const existing = typeof definition.id === 'string' ? await rules.get(definition.id) : undefined;
    const effective = typeof c.form.definition === 'string' ? (existing ? 'edit' : 'create') : mode;
    const outcome = await rc.saveRule(consoleEditor(c, deps), definition, { mode: effective, id: effective === 'edit' ? (existing?._id ?? d.id) : undefined, baseVersion });
    if (outcome.ok) return c.redirect(`/ui/rules/${encodeURIComponent(outcome.value._id)}?notice=${encodeURIComponent(`Saved as version ${outcome.value.version}`)}`);
    if (outcome.status === 403) return c.render('forbidden', { message: outcome.message }, { title: 'Not allowed', status: 403, nav: 'rules' });
    const placed = placeIssues(d, outcome.issues ?? []);
    if (!outcome.issues) placed.general.push(outcome.message);
    await editorPage(c, d, { mode: effective, baseVersion, ...placed, status: outcome.status });
  });

  // Enable and disable: the buttons call POST /api/v1/rules/{id}/enable|disable with the session (api-session.ts).
}
