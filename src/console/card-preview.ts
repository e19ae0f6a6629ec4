// An alert's Slack card as it would look: the card is rendered from the same templates the bot posts
// (src/alerts/card.ts), then its Block Kit is turned into plain data the page draws (text stays text: mrkdwn is
// shown as written, never as HTML).
import { renderAlertCard, type AlertCardInput } from '../alerts/card.js';
import { blockKitBuilderUrl } from '../alerts/preview.js';
import { cardAlert, type ActedAlert, type CardCase } from '../alerts/card-data.js';
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

export function cardInputOf(alert: ActedAlert, signals: Signal[], cases: CardCase[]): AlertCardInput {
  return { alert: cardAlert({ ...alert, linkedCases: cases }), signals };
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
