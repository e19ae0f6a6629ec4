// The two case modals: "New case" (from `/case new` or an alert card's Create case, prefilled from the alert)
// and "Add to case" (pick an open case for an alert). Block and input ids are constants so the submission
// handlers read back exactly what the views put there.
import type { View } from '@slack/types';
import { z } from 'zod';
import { CASE_SEVERITIES, MAX_DESCRIPTION, MAX_TITLE, type StoredCase } from '../../src/cases/model.js';
import type { CaseSeverity } from '../../src/cases/backend.js';
import { truncateText } from '../../src/blocks/truncate.js';

export const BLOCKS = { title: 'title', description: 'description', severity: 'severity', team: 'team', assignee: 'assignee', case: 'case' } as const;
export const INPUT = 'value';

/** Where the modal came from: the alert (and its card message, to answer in its thread), or a channel. */
export const modalOrigin = z.strictObject({
  a: z.string().regex(/^[0-9a-f]{24}$/).optional(),
  ch: z.string().regex(/^[CDG][A-Z0-9]+$/).optional(),
  ts: z.string().regex(/^\d+\.\d+$/).optional(),
});
export type ModalOrigin = z.infer<typeof modalOrigin>;

export interface NewCasePrefill {
  title?: string;
  description?: string;
  severity?: CaseSeverity;
  team?: string;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });
const option = (value: string, label = value) => ({ text: plain(label), value });

export function newCaseModal(callbackId: string, metadata: string, prefill: NewCasePrefill, fromAlert: boolean): View {
  const severity = prefill.severity ?? 'medium';
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: metadata,
    title: plain(fromAlert ? 'Case from alert' : 'New case'),
    submit: plain('Create case'),
    close: plain('Cancel'),
    blocks: [
      ...(fromAlert ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: "The alert's artifacts become the case's observables." }] }] : []),
      {
        type: 'input',
        block_id: BLOCKS.title,
        label: plain('Title'),
        element: { type: 'plain_text_input', action_id: INPUT, max_length: MAX_TITLE, ...(prefill.title ? { initial_value: truncateText(prefill.title, MAX_TITLE) } : {}) },
      },
      {
        type: 'input',
        block_id: BLOCKS.description,
        label: plain('Description'),
        optional: true,
        element: { type: 'plain_text_input', action_id: INPUT, multiline: true, max_length: 3000, ...(prefill.description ? { initial_value: truncateText(prefill.description, Math.min(3000, MAX_DESCRIPTION)) } : {}) },
      },
      {
        type: 'input',
        block_id: BLOCKS.severity,
        label: plain('Severity'),
        element: { type: 'static_select', action_id: INPUT, options: CASE_SEVERITIES.map((s) => option(s)), initial_option: option(severity) },
      },
      {
        type: 'input',
        block_id: BLOCKS.team,
        label: plain('Team'),
        optional: true,
        hint: plain('The team whose case it is (as on alerts, e.g. appsec). Its members and the SOC may work on it; its leads close it.'),
        element: { type: 'plain_text_input', action_id: INPUT, max_length: 64, ...(prefill.team ? { initial_value: prefill.team } : {}) },
      },
      {
        type: 'input',
        block_id: BLOCKS.assignee,
        label: plain('Assignee'),
        optional: true,
        element: { type: 'users_select', action_id: INPUT },
      },
    ],
  };
}

/** At most Slack's 100 options: the newest open cases. */
export function addToCaseModal(callbackId: string, metadata: string, open: StoredCase[]): View {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: metadata,
    title: plain('Add to case'),
    submit: plain('Add alert'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: BLOCKS.case,
        label: plain('Open case'),
        element: {
          type: 'static_select',
          action_id: INPUT,
          options: open.slice(0, 100).map((c) => option(c._id, truncateText(`#${c.number} ${c.title}`, 75))),
        },
      },
    ],
  };
}

/** A submitted text input, trimmed; undefined when empty. */
export function textValue(values: Record<string, string | string[] | undefined>, block: string): string | undefined {
  const v = values[`${block}.${INPUT}`];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** Field errors from the case service, on the modal's blocks (an unknown field lands on the title). */
export function modalErrors(problems: { field: string; message: string }[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) {
    const field = p.field.split('.')[0]!;
    const block = (Object.values(BLOCKS) as string[]).includes(field) ? field : BLOCKS.title;
    errors[block] = errors[block] ? `${errors[block]}; ${p.message}` : p.message;
  }
  return errors;
}
