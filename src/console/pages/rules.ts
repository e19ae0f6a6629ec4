// The rules pages: the list, one rule (definition, versions, audit), enable/disable (correlation admins, CSRF),
// and the editor (structured form or compact expr) with field and value pickers from what stored signals
// contain. The editor's Save and Simulate call /api/v1 from the browser with the session (assets/console.js:
// POST /api/v1/rules, PUT /api/v1/rules/{id}, POST /api/v1/simulations), whose 400 issues the page puts next
// to their fields; the API refuses non-admins and audits every change.
import type { ConsoleRequest, ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import type { RulesConsole } from '../../rules-console/service.js';
import type { StoredRule } from '../../correlation/rule-store.js';
import type { Rule } from '../../correlation/rule.js';
import { formData, fromDefinition, SEVERITIES, TEMPLATES, type RuleFormData } from '../assets/forms.js';

const PICKER_DAYS = 30;

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
}

/** The editor page for a form's data (with an empty error slot by each field, filled by console.js). */
async function renderEditor(c: ConsoleRequest, rc: RulesConsole, d: RuleFormData, extra: EditorExtra): Promise<void> {
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
      pick: await pickers(rc),
    },
    { title: extra.mode === 'edit' ? `Edit ${d.id}` : 'New rule', nav: 'rules' },
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

  // Save, enable and disable: the browser calls /api/v1 with the session (api-session.ts, assets/console.js).
}
