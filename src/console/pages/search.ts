// /ui/search: signals, alerts and cases by time, source, type, rule, team, status, severity and artifact value,
// with a histogram, keyset paging, a permalink (the URL holds every filter) and CSV/JSON of the page shown
// (the JSON is the HTTP API's own answer: /api/v1 takes the console's session).
import type { ConsoleRequest, ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import { histogramSvg } from '../histogram.js';
import { apiHref, parseSearch, SEARCH_KINDS, searchHref, type ResolvedSearch } from '../search-query.js';
import { COLUMNS, runSearch, toCsv } from '../search-run.js';
import { ALERT_STATUSES } from '../../correlation/alert-store.js';
import { CASE_STATUSES } from '../../cases/model.js';
import { SEVERITIES } from '../../signals/signal.js';

const PATH = '/ui/search';

export function registerSearchPages(router: ConsoleRouter, deps: ConsoleDeps): void {
  router.page('GET', PATH, async (c) => {
    const parsed = parseSearch(c.url.searchParams);
    if (!parsed.ok) return c.render('search', { ...formData(parsed.raw), errors: parsed.errors }, { title: 'Search', nav: 'search', status: 400 });
    const s = parsed.search;
    const result = await runSearch(deps, s, { histogram: true });
    const q = s.query;
    const current = { ...q, cursor: undefined, before: undefined };
    const h = result.histogram;
    const svg = h ? histogramSvg(h, (from, to) => searchHref(PATH, current, { since: from.toISOString(), until: to.toISOString() })) : undefined;
    c.render(
      'search',
      {
        ...formData(q as Record<string, unknown>),
        rows: result.rows.map((r) => ({ ...r, href: rowHref(result.kind, r) })),
        columns: COLUMNS[result.kind],
        histogram: svg,
        matches: (h?.total ?? 0).toLocaleString('en'),
        next: result.next ? searchHref(PATH, current, { cursor: result.next }) : undefined,
        prev: result.prev ? searchHref(PATH, current, { before: result.prev }) : undefined,
        first: result.prev ? searchHref(PATH, current) : undefined,
        permalink: searchHref(PATH, q),
        csvHref: searchHref(`${PATH}/export.csv`, q),
        jsonHref: apiHref(s),
        tabs: SEARCH_KINDS.map((kind) => ({ kind, href: searchHref(PATH, current, { kind }), current: kind === q.kind })),
      },
      { title: 'Search', nav: 'search' },
    );
  });

  // CSV here; the JSON download is the HTTP API's answer for the same page (apiHref), called with the session.
  router.page('GET', `${PATH}/export.csv`, async (c) => {
    const parsed = parseSearch(c.url.searchParams);
    if (!parsed.ok) return c.send(400, 'application/json; charset=utf-8', JSON.stringify({ error: 'invalid_query', problems: parsed.errors }));
    await downloadCsv(c, deps, parsed.search);
  });
}

async function downloadCsv(c: ConsoleRequest, deps: ConsoleDeps, s: ResolvedSearch): Promise<void> {
  const result = await runSearch(deps, s, { histogram: false });
  const name = `taser-${result.kind}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.csv`;
  c.send(200, 'text/csv; charset=utf-8', toCsv(COLUMNS[result.kind], result.rows), { 'content-disposition': `attachment; filename="${name}"` });
}

function rowHref(kind: string, r: Record<string, unknown>): string {
  if (kind === 'signals') return `/ui/signals/${encodeURIComponent(String(r.key))}`;
  if (kind === 'cases') return `/ui/cases/${String(r.number)}`;
  return `/ui/alerts/${encodeURIComponent(String(r.id))}`;
}

/** What the form shows: the values as given, and the choices for this kind. */
function formData(q: Record<string, unknown>) {
  const kind = SEARCH_KINDS.includes(q.kind as never) ? (q.kind as string) : 'alerts';
  const statuses = kind === 'cases' ? CASE_STATUSES : kind === 'alerts' ? ALERT_STATUSES : [];
  return {
    q,
    kind,
    isAlerts: kind === 'alerts',
    isSignals: kind === 'signals',
    isCases: kind === 'cases',
    statuses: statuses.map((s) => ({ value: s, selected: q.status === s })),
    severities: SEVERITIES.filter((s) => kind !== 'cases' || s !== 'info').map((s) => ({ value: s, selected: q.severity === s })),
  };
}
