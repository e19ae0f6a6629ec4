// The card's buttons: View details (a link), Lookup (Positron, answered in the card's thread), Acknowledge,
// Snooze (a modal with a duration) and Close (a modal with a reason). Each button carries only the alert id,
// validated on the way back; ack, snooze and close are for the alert team's ACL group only.
import { z } from 'zod';
import type { ActionRef, PluginContext, PluginRegistrar } from '../../src/plugins/types.js';
import type { View } from '@slack/types';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { CardButton } from '../../src/alerts/card.js';
import { UserError } from '../../src/app/errors.js';
import { presentResult } from '../../src/positron/present.js';
import type { AlertsConfig } from './config.js';
import type { ActedAlert } from './card-input.js';
import { refuseUnlessAllowed } from './acl.js';
import { lookupsFor } from './lookups.js';
import { snooze } from './snoozes.js';
import { deliveries } from './deliveries.js';
import { alertCaseButtonValue } from '../../src/cases/alert-buttons.js';
import { alertAskButtonValue } from '../../src/confirmations/alert-button.js';

type Ctx = PluginContext<AlertsConfig>;

const alertRef = z.strictObject({ a: z.string().regex(/^[0-9a-f]{24}$/, 'an alert id') });
type AlertRef = z.infer<typeof alertRef>;

export const SNOOZE_BLOCK = 'duration';
export const CLOSE_BLOCK = 'reason';
export const INPUT = 'value';
export const SNOOZE_CHOICES: { label: string; hours: number }[] = [
  { label: '1 hour', hours: 1 },
  { label: '4 hours', hours: 4 },
  { label: '24 hours', hours: 24 },
  { label: '7 days', hours: 168 },
];
const MAX_REASON = 500;

export interface CardActions {
  /** caseActions: the ids of the core's case buttons (ctx.cases.alertActions), when a plugin handles them. */
  buttons(alert: ActedAlert, caseActions?: { create: string; add: string }, askAction?: string): CardButton[];
}

async function loadAlert(ctx: Ctx, id: string): Promise<StoredAlert> {
  const alert = await ctx.correlation.alerts.get(id);
  if (!alert) throw new UserError(`Alert \`${id}\` no longer exists.`);
  return alert;
}

export function registerCardActions(
  plugin: PluginRegistrar<AlertsConfig>,
  deps: { updateCard(ctx: Ctx, alert: StoredAlert): Promise<void> },
): CardActions {
  // A URL button still sends an interaction; answering it (doing nothing) keeps Slack from showing an error.
  const details = plugin.action({ name: 'details', value: alertRef, async handler() {} });

  const lookup = plugin.action({
    name: 'lookup',
    value: alertRef,
    async handler({ value, user, respond }, ctx) {
      const alert = await loadAlert(ctx, value.a);
      const card = await deliveries(ctx).findOne({ _id: alert._id });
      if (!card?.channel || !card.ts) throw new UserError('This alert has no card in Slack to answer in.');
      const caller = { kind: 'slack' as const, userId: user.id };
      const allowed = new Set((await ctx.positron.allowedQueries(caller)).map((q) => q.name));
      const lookups = lookupsFor(alert).filter((l) => allowed.has(l.query));
      if (!lookups.length) throw new UserError('There is nothing on this card you may look up.');
      for (const { query, value: arg } of lookups) {
        try {
          const result = await ctx.positron.run(caller, query, { args: [arg] });
          await ctx.slack.chat.postMessage({ channel: card.channel, thread_ts: card.ts, ...ctx.templates.render('positron-result', presentResult(result)) });
        } catch (err) {
          ctx.logger.warn({ err, alert: alert._id, query }, 'alert card lookup failed');
          await respond(`${query} ${arg}: ${(err as Error).message}`);
        }
      }
    },
  });

  const acknowledge = plugin.action({
    name: 'ack',
    value: alertRef,
    async handler({ value, user, respond }, ctx) {
      const alert = await loadAlert(ctx, value.a);
      const refusal = await refuseUnlessAllowed(ctx, user.id, 'acknowledge', alert);
      if (refusal) return respond(refusal);
      const updated = await ctx.correlation.alerts.setStatus(alert._id, 'acknowledged', user.id, undefined, { acknowledged: { by: user.id, at: new Date() } });
      if (updated) await deps.updateCard(ctx, updated);
    },
  });

  const snoozeView = plugin.view({
    name: 'snooze',
    metadata: alertRef,
    async handler({ values, metadata, user }, ctx) {
      const hours = Number(values[`${SNOOZE_BLOCK}.${INPUT}`]);
      if (!SNOOZE_CHOICES.some((c) => c.hours === hours)) return { errors: { [SNOOZE_BLOCK]: 'Pick how long to snooze.' } };
      const alert = await loadAlert(ctx, metadata.a);
      const refusal = await refuseUnlessAllowed(ctx, user.id, 'snooze', alert);
      if (refusal) return { errors: { [SNOOZE_BLOCK]: refusal } };
      const until = new Date(Date.now() + hours * 3_600_000);
      await snooze(ctx, { ruleId: alert.ruleId, group: alert.group, until, by: user.id, alertId: alert._id });
      const updated = await ctx.correlation.alerts.setStatus(alert._id, 'snoozed', user.id, `until ${until.toISOString()}`, { snoozedUntil: until });
      ctx.logger.info({ alert: alert._id, rule: alert.ruleId, group: alert.group, until, user: user.id }, 'alert snoozed');
      if (updated) await deps.updateCard(ctx, updated);
    },
  });

  const closeView = plugin.view({
    name: 'close',
    metadata: alertRef,
    async handler({ values, metadata, user }, ctx) {
      const reason = String(values[`${CLOSE_BLOCK}.${INPUT}`] ?? '').trim();
      if (!reason) return { errors: { [CLOSE_BLOCK]: 'Say why the alert is closed.' } };
      if (reason.length > MAX_REASON) return { errors: { [CLOSE_BLOCK]: `At most ${MAX_REASON} characters, please.` } };
      const alert = await loadAlert(ctx, metadata.a);
      const refusal = await refuseUnlessAllowed(ctx, user.id, 'close', alert);
      if (refusal) return { errors: { [CLOSE_BLOCK]: refusal } };
      const updated = await ctx.correlation.alerts.setStatus(alert._id, 'closed', user.id, reason, { closed: { by: user.id, at: new Date(), reason } });
      if (updated) await deps.updateCard(ctx, updated);
    },
  });

  // The modals open only for people allowed to act, so nobody fills in a form for nothing.
  const snoozeButton = plugin.action({
    name: 'snooze',
    value: alertRef,
    async handler({ value, user, respond, openModal }, ctx) {
      const alert = await loadAlert(ctx, value.a);
      const refusal = await refuseUnlessAllowed(ctx, user.id, 'snooze', alert);
      if (refusal) return respond(refusal);
      await openModal(snoozeModal(snoozeView.callbackId, snoozeView.encode({ a: alert._id }), alert));
    },
  });

  const closeButton = plugin.action({
    name: 'close',
    value: alertRef,
    async handler({ value, user, respond, openModal }, ctx) {
      const alert = await loadAlert(ctx, value.a);
      const refusal = await refuseUnlessAllowed(ctx, user.id, 'close', alert);
      if (refusal) return respond(refusal);
      await openModal(closeModal(closeView.callbackId, closeView.encode({ a: alert._id })));
    },
  });

  const button = (ref: ActionRef<AlertRef>, text: string, alert: StoredAlert, style?: 'primary' | 'danger'): CardButton => ({
    text,
    actionId: ref.actionId,
    value: ref.encode({ a: alert._id }),
    ...(style ? { style } : {}),
  });

  return {
    buttons(alert, caseActions, askAction) {
      const out: CardButton[] = [];
      if (alert.link) out.push({ ...button(details, 'View details', alert), url: alert.link });
      if (lookupsFor(alert).length) out.push(button(lookup, 'Lookup', alert));
      if (alert.status === 'closed') return out;
      if (alert.status !== 'acknowledged') out.push(button(acknowledge, 'Acknowledge', alert, 'primary'));
      if (alert.status !== 'snoozed') out.push(button(snoozeButton, 'Snooze', alert));
      out.push(button(closeButton, 'Close', alert, 'danger'));
      // Once in a case the card names the case instead; the buttons' value is the alert id, as the core defines it.
      if (caseActions && !alert.linkedCases?.length) {
        out.push({ text: 'Create case', actionId: caseActions.create, value: alertCaseButtonValue(alert._id) });
        out.push({ text: 'Add to case', actionId: caseActions.add, value: alertCaseButtonValue(alert._id) });
      }
      // Ask user: the confirmations plugin's button (a core-named id), asks the alert's user whether it was them.
      // Only on an alert that names someone (the same artifacts the confirmations plugin asks about).
      if (askAction && alert.artifacts.some((a) => /^(username|email|user)=/.test(a))) out.push({ text: 'Ask user', actionId: askAction, value: alertAskButtonValue(alert._id) });
      return out;
    },
  };
}

function snoozeModal(callbackId: string, metadata: string, alert: StoredAlert): View {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: metadata,
    title: { type: 'plain_text', text: 'Snooze alert' },
    submit: { type: 'plain_text', text: 'Snooze' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `No new card for rule \`${alert.ruleId.replace(/[`<>&]/g, '')}\` and this group until the snooze ends. New alerts are still stored.` },
      },
      {
        type: 'input',
        block_id: SNOOZE_BLOCK,
        label: { type: 'plain_text', text: 'For how long' },
        element: {
          type: 'static_select',
          action_id: INPUT,
          options: SNOOZE_CHOICES.map((c) => ({ text: { type: 'plain_text', text: c.label }, value: String(c.hours) })),
        },
      },
    ],
  };
}

function closeModal(callbackId: string, metadata: string): View {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: metadata,
    title: { type: 'plain_text', text: 'Close alert' },
    submit: { type: 'plain_text', text: 'Close alert' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: CLOSE_BLOCK,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: INPUT, multiline: true, max_length: MAX_REASON },
      },
    ],
  };
}
