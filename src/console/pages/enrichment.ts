// The enrichment editor: the rules (source/type -> Positron query, from artifact -> to artifact) as rows,
// saved as a new version of the set (correlation admins, audited), validated with errors next to the row.
import type { ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import type { RulesConsole } from '../../rules-console/service.js';
import type { EnrichmentRule } from '../../signals/enrich.js';
import type { Issue } from '../../rules-console/enrichment-store.js';
import { consoleEditor, pickers } from './rules.js';

const COLUMNS = ['source', 'type', 'query', 'from', 'to', 'field'] as const;
type Row = Record<(typeof COLUMNS)[number], string> & { i: number; error?: string };

const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : (v ?? ''));

function rowsOf(rules: EnrichmentRule[]): Row[] {
  return rules.map((r, i) => ({ i, source: text(r.source), type: text(r.type), query: r.query, from: r.from, to: r.to, field: r.field ?? '' }));
}

/** The form's rows (an empty row is dropped) and the rules they describe. */
function fromForm(form: Record<string, string | string[]>): { rows: Row[]; rules: Record<string, unknown>[] } {
  const rows: Row[] = [];
  for (let i = 0; i < 200; i++) {
    const get = (c: string) => {
      const v = form[`rules.${i}.${c}`];
      return ((Array.isArray(v) ? v[0] : v) ?? '').trim();
    };
    const row = Object.fromEntries(COLUMNS.map((c) => [c, get(c)])) as unknown as Row;
    if (COLUMNS.every((c) => !row[c])) continue;
    rows.push({ ...row, i: rows.length });
  }
  const list = (v: string) => {
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    return items.length > 1 ? items : items[0];
  };
  const rules = rows.map((r) => {
    const rule: Record<string, unknown> = { query: r.query, from: r.from, to: r.to };
    if (r.source) rule.source = list(r.source);
    if (r.type) rule.type = list(r.type);
    if (r.field) rule.field = r.field;
    return rule;
  });
  return { rows, rules };
}

export function registerEnrichmentPages(router: ConsoleRouter, deps: ConsoleDeps & { rulesConsole: RulesConsole; knownQueries: () => string[] }): void {
  const rc = deps.rulesConsole;

  const page = async (c: Parameters<Parameters<ConsoleRouter['page']>[2]>[0], rows: Row[], extra: { version: number; general?: string[]; notice?: string | null; status?: number }) => {
    const current = await rc.enrichment.current();
    const history = (await rc.enrichment.history()).map((s) => ({ version: s.version, updatedAt: s.updatedAt, updatedBy: s.updatedBy, count: s.rules.length }));
    c.render(
      'enrichment',
      { rows: [...rows, { i: rows.length, source: '', type: '', query: '', from: '', to: '', field: '' }], version: extra.version, current, history, queries: deps.knownQueries().sort(), pick: await pickers(rc), general: extra.general ?? [], notice: extra.notice },
      { title: 'Enrichment', nav: 'rules', status: extra.status },
    );
  };

  router.page('GET', '/ui/enrichment', async (c) => {
    const current = await rc.enrichment.current();
    await page(c, rowsOf(current?.rules ?? []), { version: current?.version ?? 0, notice: c.url.searchParams.get('notice') });
  });

  router.page('POST', '/ui/enrichment', async (c) => {
    const { rows, rules } = fromForm(c.form);
    const baseVersion = typeof c.form.baseVersion === 'string' && /^\d+$/.test(c.form.baseVersion) ? Number(c.form.baseVersion) : undefined;
    const outcome = await rc.saveEnrichment(consoleEditor(c, deps), rules, baseVersion);
    if (outcome.ok) return c.redirect(`/ui/enrichment?notice=${encodeURIComponent(`Saved as version ${outcome.value.version}`)}`);
    if (outcome.status === 403) return c.render('forbidden', { message: outcome.message }, { title: 'Not allowed', status: 403, nav: 'rules' });
    const general: string[] = [];
    for (const { path, message } of (outcome.issues ?? []) as Issue[]) {
      const m = /^rules\.(\d+)(?:\.(.*))?$/.exec(path);
      const row = m ? rows[Number(m[1])] : undefined;
      if (row) row.error = [row.error, `${m![2] ?? 'rule'}: ${message}`].filter(Boolean).join('; ');
      else general.push(`${path}: ${message}`);
    }
    if (!outcome.issues) general.push(outcome.message);
    await page(c, rows, { version: baseVersion ?? 0, general, status: outcome.status });
  });
}
