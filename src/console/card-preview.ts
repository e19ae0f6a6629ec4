// An alert's Slack card as it would look: the card is rendered from the same templates the bot posts
// (src/alerts/card.ts), then its Block Kit is turned into plain data the page draws (text stays text: mrkdwn is
// shown as written, never as HTML).
import { renderAlertCard, type AlertCardInput } from '../alerts/card.js';
import { blockKitBuilderUrl } from '../alerts/preview.js';
import type { StoredAlert } from '../correlation/alert-store.js';
import type { Renderer, SlackBlock } from '../plugins/types.js';
import type { Signal } from '../signals/signal.js';

export interface PreviewBlock {
  type: string;
  text?: string;
  fields?: string[];
  elements?: string[];
  isHeader?: boolean;
  isSection?: boolean;
  isContext?: boolean;
  isActions?: boolean;
  isDivider?: boolean;
}

/** Action fields the alerts plugin stores on the alert (acknowledged, snoozed, closed). */
type Acted = StoredAlert & { acknowledged?: { by: string; at: Date }; snoozedUntil?: Date; closed?: { by: string; at: Date; reason: string } };

export function cardInputOf(alert: Acted, signals: Signal[], cases: { number: number; title: string; link?: string }[]): AlertCardInput {
  return {
    alert: {
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
      ...(alert.acknowledged ? { acknowledged: { by: alert.acknowledged.by, at: new Date(alert.acknowledged.at).toISOString() } } : {}),
      ...(alert.status === 'snoozed' && alert.snoozedUntil ? { snoozedUntil: new Date(alert.snoozedUntil).toISOString() } : {}),
      ...(alert.closed ? { closed: { by: alert.closed.by, at: new Date(alert.closed.at).toISOString(), reason: alert.closed.reason } } : {}),
      ...(cases.length ? { cases } : {}),
    },
    signals,
  };
}

const textOf = (t: unknown): string | undefined => (t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string' ? (t as { text: string }).text : undefined);

export function previewBlocks(blocks: SlackBlock[]): PreviewBlock[] {
  return blocks.map((b) => {
    const block = b as unknown as Record<string, unknown>;
    const type = String(block.type);
    const elements = Array.isArray(block.elements) ? block.elements.map((e) => textOf((e as { text?: unknown }).text) ?? textOf(e) ?? '').filter(Boolean) : undefined;
    const fields = Array.isArray(block.fields) ? block.fields.map(textOf).filter((f): f is string => f !== undefined) : undefined;
    return { type, text: textOf(block.text), fields, elements, isHeader: type === 'header', isSection: type === 'section', isContext: type === 'context', isActions: type === 'actions', isDivider: type === 'divider' };
  });
}

export function renderCardPreview(templates: Renderer, input: AlertCardInput): { text: string; blocks: PreviewBlock[]; builderUrl: string } | { error: string } {
  try {
    const message = renderAlertCard(templates, input);
    return { text: message.text, blocks: previewBlocks(message.blocks), builderUrl: blockKitBuilderUrl(message.blocks) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
