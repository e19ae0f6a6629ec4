// An alert as its card shows it (src/alerts/card.ts): the stored alert, what the alerts plugin stores on it
// (acknowledged, snoozed, closed), the cases that hold it and its latest confirmation lines. The plugin and the
// web console's card preview draw the same card from it.
import type { StoredAlert } from '../correlation/alert-store.js';
import type { AlertCardInput } from './card.js';

/** Fields the alerts plugin stores on the alert through setStatus's `extra`. */
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
