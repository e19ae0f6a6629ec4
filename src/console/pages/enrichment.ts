// The enrichment editor: the rules (source/type -> Positron query, from artifact -> to artifact) as rows. The
// browser saves them with PUT /api/v1/enrichment and the session (assets/console.js): a new version of the set
// (correlation admins, audited), the API's 400 issues shown next to their row.
import type { ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import type { RulesConsole } from '../../rules-console/service.js';
import { pickers } from './rules.js';
import { enrichmentRows, type EnrichmentRow } from '../assets/forms.js';

export function registerEnrichmentPages(router: ConsoleRouter, deps: ConsoleDeps & { rulesConsole: RulesConsole; knownQueries: () => string[] }): void {
  const rc = deps.rulesConsole;

  router.page('GET', '/ui/enrichment', async (c) => {
    const current = await rc.enrichment.current();
    const rows: EnrichmentRow[] = enrichmentRows(current?.rules ?? []);
    const history = (await rc.enrichment.history()).map((s) => ({ version: s.version, updatedAt: s.updatedAt, updatedBy: s.updatedBy, count: s.rules.length }));
    c.render(
      'enrichment',
      { rows: [...rows, { i: rows.length, source: '', type: '', query: '', from: '', to: '', field: '' }], version: current?.version ?? 0, current, history, queries: deps.knownQueries().sort(), pick: await pickers(rc), notice: c.url.searchParams.get('notice') },
      { title: 'Enrichment', nav: 'rules' },
    );
  });
}
