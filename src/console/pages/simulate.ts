// The simulator pages: pick a stored rule or bring a draft from the editor, choose a period, and watch the
// job (htmx polls its status fragment every second until it ends; Cancel, the API's DELETE, stops it between batches). The
// result: alerts per day as an inline SVG, the top groups, signals per alert, and sample alerts rendered as
// their Slack card would look. The job is the HTTP API's (src/rules-console/simulations.ts): the browser starts
// it with POST /api/v1/simulations and saves its draft with POST /api/v1/rules or PUT /api/v1/rules/{id}
// (assets/console.js), with the session.
import type { ConsoleRequest, ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import type { RulesConsole } from '../../rules-console/service.js';
import type { SimulationDoc } from '../../rules-console/simulations.js';
import { blocksToHtml } from '../../rules-console/block-kit-html.js';
import { dayChartSvg } from '../../rules-console/day-chart.js';

const PERIODS = ['1d', '7d', '30d', '90d'];

/** `stored`: whether a rule with the draft's id exists (its "save" is then a new version). */
function statusData(doc: SimulationDoc, stored: boolean) {
  const r = doc.report;
  return {
    id: doc._id,
    stored,
    status: doc.status,
    running: doc.status === 'running',
    done: doc.status === 'done',
    ruleId: doc.ruleId,
    since: doc.since,
    until: doc.until,
    read: doc.read,
    replaying: doc.phase === 'replay',
    total: doc.total,
    error: doc.error,
    definition: JSON.stringify(doc.definition),
    report: r && {
      ...r,
      chart: dayChartSvg(r.perDay, doc.since, doc.until),
      topGroups: r.topGroups.map((g) => ({ group: Object.entries(g.group).map(([k, v]) => `${k}=${v}`).join(' ') || '(all signals)', alerts: g.alerts })),
    },
    samples: (doc.samples ?? []).map((s) => ({ ...s, group: Object.entries(s.group).map(([k, v]) => `${k}=${v}`).join(' ') || '(all)', html: blocksToHtml(s.message.blocks), text: s.message.text })),
  };
}

export function registerSimulatorPages(router: ConsoleRouter, deps: ConsoleDeps & { rulesConsole: RulesConsole }): void {
  const rc = deps.rulesConsole;

  router.page('GET', '/ui/simulate', async (c) => {
    const chosen = c.url.searchParams.get('rule') ?? '';
    const rules = (await deps.correlation.rules.list()).map((r) => ({ id: r._id, selected: r._id === chosen }));
    c.render('simulate', { rules, periods: PERIODS.map((p) => ({ value: p, selected: p === '30d' })) }, { title: 'Simulator', nav: 'rules' });
  });

  const load = async (c: ConsoleRequest): Promise<SimulationDoc | undefined> => {
    const doc = /^[0-9a-f-]{36}$/.test(c.params.id!) ? await rc.simulations.get(c.params.id!) : null;
    if (!doc) c.render('forbidden', { message: `There is no simulation ${c.params.id}.` }, { title: 'Not found', status: 404, nav: 'rules' });
    return doc ?? undefined;
  };

  // Only a finished job offers "save", so only then is the rule looked up.
  const stored = async (doc: SimulationDoc) => doc.status === 'done' && !!doc.ruleId && !!(await deps.correlation.rules.get(doc.ruleId));

  router.page('GET', '/ui/simulations/:id', async (c) => {
    const doc = await load(c);
    if (doc) c.render('simulation', statusData(doc, await stored(doc)), { title: `Simulation of ${doc.ruleId}`, nav: 'rules' });
  });

  router.page('GET', '/ui/simulations/:id/status', async (c) => {
    const doc = await load(c);
    if (doc) c.fragment('simulation-status', statusData(doc, await stored(doc)));
  });
  // Cancel: the status fragment's button calls DELETE /api/v1/simulations/{id} with the session (api-session.ts).
}
