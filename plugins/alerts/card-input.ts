// The card's data from a stored alert: the alert's fields, who acknowledged or closed it (stored on the alert
// by setStatus), and its newest held signals from the signal store.
import type { PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { AlertCardInput, CardButton } from '../../src/alerts/card.js';
import type { Signal } from '../../src/signals/signal.js';
import type { AlertsConfig } from './config.js';

const MAX_SIGNALS = 20;

/** Fields this plugin stores on the alert through setStatus's `extra`. */
export interface AlertActionFields {
  acknowledged?: { by: string; at: Date };
  snoozedUntil?: Date;
  closed?: { by: string; at: Date; reason: string };
}

/** Cases holding the alert, read from ctx.cases when the card is drawn (not stored on the alert). */
export interface CardCase {
  number: number;
  title: string;
  link?: string;
}

export type ActedAlert = StoredAlert & AlertActionFields & { linkedCases?: CardCase[] };

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

/** The alert's latest confirmation history lines (src/confirmations/ writes them), for the card. */
function confirmationLines(alert: StoredAlert): Pick<AlertCardInput['alert'], 'confirmations'> {
  const lines = (alert.history ?? []).filter((h) => h.kind === 'confirmation' && h.note).slice(-3);
  return lines.length ? { confirmations: lines.map((h) => ({ note: h.note!, ...(h.by ? { by: h.by } : {}), at: h.at.toISOString() })) } : {};
}

export function cardAlert(alert: ActedAlert, options: { deliveryFailed?: boolean } = {}): AlertCardInput['alert'] {
  return {
    id: alert._id,
    ruleId: alert.ruleId,
    ...(alert.ruleName ? { ruleName: alert.ruleName } : {}),
    ...(alert.template ? { template: alert.template } : {}),
    group: alert.group,
    severity: alert.severity,
    status: alert.status,
    ...(alert.team ? { team: alert.team } : {}),
    firstSeen: alert.firstSeen.toISOString(),
    lastSeen: alert.lastSeen.toISOString(),
    signalCount: alert.signalCount,
    ...(alert.acknowledged ? { acknowledged: { by: alert.acknowledged.by, at: alert.acknowledged.at.toISOString() } } : {}),
    ...(alert.status === 'snoozed' && alert.snoozedUntil ? { snoozedUntil: alert.snoozedUntil.toISOString() } : {}),
    ...(alert.closed ? { closed: { by: alert.closed.by, at: alert.closed.at.toISOString(), reason: alert.closed.reason } } : {}),
    ...(options.deliveryFailed ? { deliveryFailed: true } : {}),
    ...(alert.linkedCases?.length ? { cases: alert.linkedCases } : {}),
    ...confirmationLines(alert),
  };
}

export async function cardInput(ctx: PluginContext<AlertsConfig>, alert: ActedAlert, buttons: CardButton[]): Promise<AlertCardInput> {
  return { alert: cardAlert(alert), signals: await heldSignals(ctx, alert), buttons };
}
