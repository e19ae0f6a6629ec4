// One alert, one signal, one case: each with what links it to the others (a signal's alerts, an alert's
// signals and cases, a case's alerts), and the alert's Slack card as it looks.
import type { ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';
import { decodeSignal } from '../../signals/stored-form.js';
import type { Signal } from '../../signals/signal.js';
import type { StoredAlert } from '../../correlation/alert-store.js';
import type { StoredCase } from '../../cases/model.js';
import { cardInputOf, renderCardPreview } from '../card-preview.js';

/** Signals shown on an alert's page (its newest); the card itself shows fewer. */
const ALERT_SIGNALS = 50;
const CARD_SIGNALS = 20;
const LINKED = 50;

export function registerRecordPages(router: ConsoleRouter, deps: ConsoleDeps): void {
  const { correlation, cases } = deps;

  const signalsOf = async (keys: string[]): Promise<{ key: string; signal: Signal; occurredAt: Date }[]> => {
    const docs = await correlation.signals.collection.find({ _id: { $in: keys } }).toArray();
    const byKey = new Map(docs.map((d) => [d._id, d]));
    return keys.flatMap((k) => {
      const d = byKey.get(k);
      return d ? [{ key: k, signal: decodeSignal(d), occurredAt: d.occurredAt }] : [];
    });
  };
  const caseLinks = (list: StoredCase[]) =>
    list.map((c) => ({ number: c.number, title: c.title, status: c.status, href: `/ui/cases/${c.number}` }));

  router.page('GET', '/ui/alerts/:id', async (c) => {
    const alert = await correlation.alerts.get(c.params.id!);
    if (!alert) return c.render('not-found', { what: `alert ${c.params.id}` }, { title: 'Not found', nav: 'search', status: 404 });
    const [held, holding] = await Promise.all([signalsOf(alert.signals.slice(-ALERT_SIGNALS)), cases.store.forAlert(alert._id)]);
    const cardCases = holding.map((k) => ({ number: k.number, title: k.title, ...(cases.service.link(k) ? { link: cases.service.link(k)! } : {}) }));
    const card = renderCardPreview(deps.templates, cardInputOf(alert, held.slice(-CARD_SIGNALS).map((h) => h.signal), cardCases));
    c.render('alert', {
      alert: alertView(alert),
      signals: held.reverse().map((h) => signalRow(h.key, h.signal, h.occurredAt)),
      more: alert.signals.length > ALERT_SIGNALS ? alert.signals.length - ALERT_SIGNALS : 0,
      cases: caseLinks(holding),
      card,
    }, { title: `Alert ${alert._id}`, nav: 'search' });
  });

  router.page('GET', '/ui/signals/:key', async (c) => {
    const key = c.params.key!;
    const doc = await correlation.signals.collection.findOne({ _id: key });
    if (!doc) return c.render('not-found', { what: `signal ${key}` }, { title: 'Not found', nav: 'search', status: 404 });
    const { alerts } = await correlation.alerts.search({ signal: key, limit: LINKED });
    const holding = (await Promise.all(alerts.map((a) => cases.store.forAlert(a._id)))).flat();
    const unique = [...new Map(holding.map((k) => [k._id, k])).values()];
    c.render('signal', {
      key,
      row: signalRow(key, decodeSignal(doc), doc.occurredAt),
      stored: JSON.stringify(decodeSignal(doc), null, 2),
      alerts: alerts.map(alertView),
      cases: caseLinks(unique),
    }, { title: `Signal ${key}`, nav: 'search' });
  });

  router.page('GET', '/ui/cases/:number', async (c) => {
    const number = Number(c.params.number);
    const found = Number.isSafeInteger(number) && number > 0 ? await cases.store.getByNumber(number) : null;
    if (!found) return c.render('not-found', { what: `case ${c.params.number}` }, { title: 'Not found', nav: 'search', status: 404 });
    const alerts = (await Promise.all(found.alertIds.slice(0, LINKED).map((id) => correlation.alerts.get(id)))).filter((a): a is StoredAlert => a !== null);
    c.render('case', {
      kase: { ...found, createdAt: found.createdAt.toISOString(), link: cases.service.link(found) },
      alerts: alerts.map(alertView),
      observables: found.observables,
    }, { title: `Case #${found.number}`, nav: 'search' });
  });
}

function alertView(a: StoredAlert) {
  return {
    id: a._id,
    href: `/ui/alerts/${encodeURIComponent(a._id)}`,
    rule: a.ruleId,
    ruleName: a.ruleName,
    ruleHref: `/ui/search?rule=${encodeURIComponent(a.ruleId)}`,
    group: Object.entries(a.group).map(([k, v]) => `${k}=${v}`).join(' '),
    severity: a.severity,
    status: a.status,
    team: a.team,
    active: a.active,
    signalCount: a.signalCount,
    firstSeen: a.firstSeen.toISOString(),
    lastSeen: a.lastSeen.toISOString(),
    link: safeLink(a.link),
    history: a.history.map((h) => ({ ...h, at: new Date(h.at).toISOString(), signals: h.signals?.length })),
  };
}

function signalRow(key: string, s: Signal, occurredAt: Date) {
  return {
    key,
    href: `/ui/signals/${encodeURIComponent(key)}`,
    occurredAt: occurredAt.toISOString(),
    source: s.source,
    type: s.type,
    severity: s.severity,
    title: s.title,
    artifacts: Object.entries(s.artifacts).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(' '),
    link: safeLink(s.link),
  };
}

/** Only http(s) links from a vendor become links (never javascript: or data:). */
export function safeLink(link: string | undefined): string | undefined {
  return link && /^https?:\/\//i.test(link) ? link : undefined;
}
