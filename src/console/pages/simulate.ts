// The simulator pages: pick a stored rule or bring a draft from the editor, choose a period, and watch the
// job (htmx polls its status fragment every second until it ends; Cancel, the API's DELETE, stops it between batches). The
// result: alerts per day as an inline SVG, the top groups, signals per alert, and sample alerts rendered as
// their Slack card would look. The job is the HTTP API's (src/rules-console/simulations.ts).
import type { ConsoleRequest, ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import type { RulesConsole } from '../../rules-console/service.js';
import type { SimulationDoc } from '../../rules-console/simulations.js';
import { sinceSchema } from '../../rules-console/schemas.js';
import { blocksToHtml } from '../../rules-console/block-kit-html.js';
import { dayChartSvg } from '../../rules-console/day-chart.js';
import { formData, placeIssues, toDefinition } from './rule-form.js';
import { consoleEditor, renderEditor } from './rules.js';

const PERIODS = ['1d', '7d', '30d', '90d'];

function statusData(doc: SimulationDoc) {
  const r = doc.report;
  return {
    id: doc._id,
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

  // Starts a job for a stored rule (ruleId) or for the editor's draft (the form's fields).
  router.page('POST', '/ui/simulate', async (c) => {
    const period = typeof c.form.period === 'string' ? c.form.period : '30d';
    const since = sinceSchema.safeParse(period);
    if (!since.success) return c.render('forbidden', { message: `The period ${period} is not valid: use e.g. 30d.` }, { title: 'Simulator', status: 400, nav: 'rules' });
    let outcome;
    if (typeof c.form.ruleId === 'string' && c.form.ruleId) {
      outcome = await rc.startSimulation(consoleEditor(c, deps), { ruleId: c.form.ruleId, since: since.data });
    } else {
      const d = formData(c.form);
      outcome = await rc.startSimulation(consoleEditor(c, deps), { definition: toDefinition(d), since: since.data });
      if (!outcome.ok && outcome.issues) {
        const mode = c.form.mode === 'edit' ? 'edit' : 'create';
        const baseVersion = typeof c.form.baseVersion === 'string' ? Number(c.form.baseVersion) : undefined;
        return renderEditor(c, rc, d, { mode, baseVersion, ...placeIssues(d, outcome.issues), status: 400 });
      }
    }
    if (!outcome.ok) return c.render('forbidden', { message: outcome.message }, { title: 'Simulator', status: outcome.status, nav: 'rules' });
    c.redirect(`/ui/simulations/${outcome.value.id}`);
  });

  const load = async (c: ConsoleRequest): Promise<SimulationDoc | undefined> => {
    const doc = /^[0-9a-f-]{36}$/.test(c.params.id!) ? await rc.simulations.get(c.params.id!) : null;
    if (!doc) c.render('forbidden', { message: `There is no simulation ${c.params.id}.` }, { title: 'Not found', status: 404, nav: 'rules' });
    return doc ?? undefined;
  };

  router.page('GET', '/ui/simulations/:id', async (c) => {
    const doc = await load(c);
    if (doc) c.render('simulation', statusData(doc), { title: `Simulation of ${doc.ruleId}`, nav: 'rules' });
  });

  router.page('GET', '/ui/simulations/:id/status', async (c) => {
    const doc = await load(c);
    if (doc) c.fragment('simulation-status', statusData(doc));
  });
  // Cancel: the status fragment's button calls DELETE /api/v1/simulations/{id} with the session (api-session.ts).
}
