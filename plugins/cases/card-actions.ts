// The alert card's case buttons (their action ids are core constants, ALERT_CASE_ACTIONS, which the alerts
// plugin puts on its cards) and the two modals they open. The buttons open a form only for people the ACL
// allows; the submissions are checked again, since a form can outlive a change of config.
import { z } from 'zod';
import type { PluginContext, PluginRegistrar, Reply, ViewRef } from '../../src/plugins/types.js';
import { UserError } from '../../src/app/errors.js';
import { ALERT_CASE_ACTIONS } from '../../src/cases/alert-buttons.js';
import { CaseForbiddenError, CaseInputError, CaseNotFoundError, CaseStateError, caseSeverityOf, type NewCase } from '../../src/cases/model.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { CasesPluginConfig } from './config.js';
import { BLOCKS, INPUT, addToCaseModal, modalErrors, modalOrigin, newCaseModal, textValue, type ModalOrigin } from './modals.js';
import { changed } from './replies.js';

type Ctx = PluginContext<CasesPluginConfig>;
const alertRef = z.strictObject({ a: z.string().regex(/^[0-9a-f]{24}$/, 'an alert id') });

// The core names these ids so the alerts plugin can put the buttons on its card without importing this one.
const [, CREATE_NAME] = ALERT_CASE_ACTIONS.create.split(':') as [string, string];
const [, ADD_NAME] = ALERT_CASE_ACTIONS.add.split(':') as [string, string];

async function loadAlert(ctx: Ctx, id: string): Promise<StoredAlert> {
  const alert = await ctx.correlation.alerts.get(id);
  if (!alert) throw new UserError(`Alert \`${id}\` no longer exists.`);
  return alert;
}

/** The alert in a case's words: what the modal is prefilled with. */
export function prefillFromAlert(alert: StoredAlert) {
  const group = Object.entries(alert.group).map(([k, v]) => `${k}=${v}`).join(' ');
  const name = alert.ruleName ?? alert.ruleId;
  return {
    title: group ? `${name} (${group})` : name,
    description: [
      `From taser alert ${alert._id}: rule ${alert.ruleId}, ${alert.signalCount} signal(s), ${alert.firstSeen.toISOString()} to ${alert.lastSeen.toISOString()}.`,
      ...(alert.link ? [`Source: ${alert.link}`] : []),
    ].join('\n'),
    severity: caseSeverityOf(alert.severity),
    ...(alert.team ? { team: alert.team } : {}),
  };
}

/** Says what happened where the person was: the card's thread, the channel (ephemeral), else a DM. */
async function announce(ctx: Ctx, origin: ModalOrigin, userId: string, reply: Reply & object): Promise<void> {
  try {
    if (origin.ch && origin.ts) await ctx.slack.chat.postMessage({ channel: origin.ch, thread_ts: origin.ts, text: reply.text, unfurl_links: false });
    else if (origin.ch) await ctx.slack.chat.postEphemeral({ channel: origin.ch, user: userId, text: reply.text });
    else await ctx.slack.chat.postMessage({ channel: userId, text: reply.text });
  } catch (err) {
    // The case is stored either way; the reply is a courtesy.
    ctx.logger.warn({ err, channel: origin.ch }, 'could not tell the user about their case');
  }
}

/** Errors the service raises for a form: on the form's fields, so the modal stays open with them. */
function formErrors(err: unknown, fallbackBlock: string): { errors: Record<string, string> } {
  if (err instanceof CaseInputError) return { errors: modalErrors(err.problems) };
  if (err instanceof CaseForbiddenError || err instanceof CaseNotFoundError || err instanceof CaseStateError) return { errors: { [fallbackBlock]: err.message } };
  throw err;
}

export function registerCaseForms(plugin: PluginRegistrar<CasesPluginConfig>): { newCaseView: ViewRef<ModalOrigin> } {
  const newCaseView = plugin.view({
    name: 'new',
    metadata: modalOrigin,
    async handler({ values, metadata, user }, ctx) {
      const team = textValue(values, BLOCKS.team)?.toLowerCase();
      const assignee = values[`${BLOCKS.assignee}.${INPUT}`];
      const input: NewCase = {
        title: textValue(values, BLOCKS.title) ?? '',
        description: textValue(values, BLOCKS.description) ?? '',
        severity: String(values[`${BLOCKS.severity}.${INPUT}`] ?? '') as NewCase['severity'],
        ...(team ? { team } : {}),
        ...(typeof assignee === 'string' && assignee ? { assignee } : {}),
        alertIds: metadata.a ? [metadata.a] : [],
      };
      let created;
      try {
        created = await ctx.cases.create({ kind: 'slack', userId: user.id }, input);
      } catch (err) {
        return formErrors(err, BLOCKS.team);
      }
      await announce(ctx, metadata, user.id, changed(ctx, created, `<@${user.id}> opened`) as Reply & object);
    },
  });

  const addView = plugin.view({
    name: 'add-to-case',
    metadata: modalOrigin,
    async handler({ values, metadata, user }, ctx) {
      const caseId = values[`${BLOCKS.case}.${INPUT}`];
      if (typeof caseId !== 'string' || !metadata.a) return { errors: { [BLOCKS.case]: 'Pick a case.' } };
      let updated;
      try {
        updated = await ctx.cases.addAlerts({ kind: 'slack', userId: user.id }, caseId, [metadata.a]);
      } catch (err) {
        return formErrors(err, BLOCKS.case);
      }
      await announce(ctx, metadata, user.id, changed(ctx, updated, `<@${user.id}> added this alert to`) as Reply & object);
    },
  });

  plugin.action({
    name: CREATE_NAME,
    value: alertRef,
    async handler({ value, user, channelId, messageTs, respond, openModal }, ctx) {
      const alert = await loadAlert(ctx, value.a);
      const refusal = await ctx.cases.refusal({ kind: 'slack', userId: user.id }, 'create', alert.team ? { team: alert.team } : {});
      if (refusal) return respond(refusal);
      const origin = { a: alert._id, ...(channelId ? { ch: channelId } : {}), ...(messageTs ? { ts: messageTs } : {}) };
      await openModal(newCaseModal(newCaseView.callbackId, newCaseView.encode(origin), prefillFromAlert(alert), true));
    },
  });

  plugin.action({
    name: ADD_NAME,
    value: alertRef,
    async handler({ value, user, channelId, messageTs, respond, openModal }, ctx) {
      const alert = await loadAlert(ctx, value.a);
      const refusal = await ctx.cases.refusal({ kind: 'slack', userId: user.id }, 'work', alert.team ? { team: alert.team } : {});
      if (refusal) return respond(refusal);
      const { cases } = await ctx.cases.list({ status: 'open', limit: 100 });
      const open = cases.filter((c) => !c.alertIds.includes(alert._id));
      if (!open.length) return respond('There is no open case to add this alert to: use *Create case* instead.');
      const origin = { a: alert._id, ...(channelId ? { ch: channelId } : {}), ...(messageTs ? { ts: messageTs } : {}) };
      await openModal(addToCaseModal(addView.callbackId, addView.encode(origin), open));
    },
  });

  return { newCaseView };
}
