// The card's data from a stored alert: the alert's fields, who acknowledged or closed it (stored on the alert
// by setStatus), the cases that hold it and its newest held signals. Read for a whole sweep of cards at once:
// one read each of alerts, cases and signals, whatever the number of cards.
import type { PluginContext } from '../../src/plugins/types.js';
import type { AlertCardInput, CardButton } from '../../src/alerts/card.js';
import { cardAlert, type ActedAlert } from '../../src/alerts/card-data.js';
import type { Signal } from '../../src/signals/signal.js';
import type { AlertsConfig } from './config.js';

const MAX_SIGNALS = 20;

export { cardAlert, type ActedAlert, type AlertActionFields, type CardCase } from '../../src/alerts/card-data.js';

export interface CardData {
  /** The alert with the cases that hold it (linkedCases), for the card's case line and buttons. */
  alert: ActedAlert;
  /** Its newest held signals, oldest first. */
  signals: Signal[];
}

/** Card data of these alerts, by alert id; an alert missing from the alerts collection is missing here. */
export async function cardData(ctx: PluginContext<AlertsConfig>, alertIds: string[]): Promise<Map<string, CardData>> {
  if (!alertIds.length) return new Map();
  const alerts = (await ctx.correlation.alerts.collection.find({ _id: { $in: alertIds } }).toArray()) as ActedAlert[];
  const cases = await ctx.cases.forAlerts(alerts.map((a) => a._id));
  const keys = [...new Set(alerts.flatMap((a) => a.signals.slice(-MAX_SIGNALS)))];
  const docs = keys.length ? await ctx.correlation.signals.collection.find({ _id: { $in: keys } }, { projection: { signal: 1 } }).toArray() : [];
  const byKey = new Map(docs.map((d) => [d._id, d.signal]));
  return new Map(
    alerts.map((a) => {
      const linkedCases = (cases.get(a._id) ?? []).map((c) => ({ number: c.number, title: c.title, ...(ctx.cases.link(c) ? { link: ctx.cases.link(c) } : {}) }));
      const signals = a.signals.slice(-MAX_SIGNALS).map((k) => byKey.get(k)).filter((s): s is Signal => s !== undefined);
      return [a._id, { alert: { ...a, linkedCases }, signals }];
    }),
  );
}

export function cardInput(data: CardData, buttons: CardButton[]): AlertCardInput {
  return { alert: cardAlert(data.alert), signals: data.signals, buttons };
}

