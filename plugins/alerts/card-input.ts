// The card's data from a stored alert: the alert's fields, who acknowledged or closed it (stored on the alert
// by setStatus), and its newest held signals from the signal store.
import type { PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { AlertCardInput, CardButton } from '../../src/alerts/card.js';
import { cardAlert, type ActedAlert } from '../../src/alerts/card-data.js';
import type { Signal } from '../../src/signals/signal.js';
import type { AlertsConfig } from './config.js';

const MAX_SIGNALS = 20;

export { cardAlert, type ActedAlert, type AlertActionFields, type CardCase } from '../../src/alerts/card-data.js';

/** The alert with the cases that hold it, for the card's case line and buttons. */
export async function withCases(ctx: PluginContext<AlertsConfig>, alert: ActedAlert): Promise<ActedAlert> {
  const cases = await ctx.cases.forAlert(alert._id);
  return { ...alert, linkedCases: cases.map((c) => ({ number: c.number, title: c.title, ...(ctx.cases.link(c) ? { link: ctx.cases.link(c) } : {}) })) };
}

export async function heldSignals(ctx: PluginContext<AlertsConfig>, alert: StoredAlert, max = MAX_SIGNALS): Promise<Signal[]> {
  const keys = alert.signals.slice(-max);
  const docs = await ctx.correlation.signals.collection.find({ _id: { $in: keys } }).toArray();
  const byKey = new Map(docs.map((d) => [d._id, d.signal]));
  return keys.map((k) => byKey.get(k)).filter((s): s is Signal => s !== undefined);
}

export async function cardInput(ctx: PluginContext<AlertsConfig>, alert: ActedAlert, buttons: CardButton[]): Promise<AlertCardInput> {
  return { alert: cardAlert(alert), signals: await heldSignals(ctx, alert), buttons };
}
