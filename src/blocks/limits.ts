// Block Kit limits (shared/contracts/EXTERNAL_APIS.md 2.4). Content that is too long is truncated with an
// ellipsis; identifiers and payloads (action_id, block_id, button value, url, callback_id, private_metadata)
// cannot be truncated without corrupting them, so an oversized one is an error in the template or caller.
import { truncateText } from './truncate.js';
import { escapeMrkdwn } from './escape.js';

export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  blockId: 255,
  actionId: 255,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  optionText: 75,
  options: 100,
  modalTitle: 24,
  callbackId: 255,
  privateMetadata: 3000,
  viewBytes: 250_000,
  messageText: 40_000,
  inputLabel: 2000,
  placeholder: 150,
} as const;

export class BlockKitError extends Error {
  override readonly name = 'BlockKitError';
}

type Json = Record<string, unknown>;
export type Surface = 'message' | 'modal' | 'home';

interface Ctx {
  path: string;
  truncations: string[];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fitText(obj: unknown, max: number, ctx: Ctx, path: string): void {
  if (!isObject(obj) || typeof obj.text !== 'string') return;
  if (obj.text.length > max) {
    ctx.truncations.push(`${path}: ${obj.text.length} > ${max} characters`);
    obj.text = truncateText(obj.text, max);
  }
}

// Slack refuses an empty text object (invalid_blocks): a dash says "nothing here" without failing the message.
function nonEmptyText(obj: unknown): void {
  if (isObject(obj) && obj.text === '') obj.text = '—';
}

function checkId(value: unknown, max: number, what: string, path: string): void {
  if (typeof value === 'string' && value.length > max) throw new BlockKitError(`${path}: ${what} is ${value.length} characters; Slack allows ${max}`);
}

function fitList<T>(list: T[], max: number, ctx: Ctx, path: string): T[] {
  if (list.length <= max) return list;
  ctx.truncations.push(`${path}: ${list.length} > ${max} items`);
  return list.slice(0, max);
}

function fitElement(el: unknown, ctx: Ctx, path: string): void {
  if (!isObject(el)) return;
  checkId(el.action_id, LIMITS.actionId, 'action_id', path);
  if (el.type === 'button') {
    fitText(el.text, LIMITS.buttonText, ctx, `${path}.text`);
    nonEmptyText(el.text);
    checkId(el.value, LIMITS.buttonValue, 'button value', path);
    checkId(el.url, LIMITS.buttonUrl, 'button url', path);
  }
  fitText(el.placeholder, LIMITS.placeholder, ctx, `${path}.placeholder`);
  if (Array.isArray(el.options)) {
    el.options = fitList(el.options, LIMITS.options, ctx, `${path}.options`);
    (el.options as unknown[]).forEach((o, i) => isObject(o) && fitText(o.text, LIMITS.optionText, ctx, `${path}.options[${i}].text`));
  }
}

function fitBlock(block: Json, ctx: Ctx, path: string): void {
  checkId(block.block_id, LIMITS.blockId, 'block_id', path);
  switch (block.type) {
    case 'header':
      fitText(block.text, LIMITS.headerText, ctx, `${path}.text`);
      nonEmptyText(block.text);
      break;
    case 'section': {
      fitText(block.text, LIMITS.sectionText, ctx, `${path}.text`);
      // Slack refuses an empty section text: without fields, show a dash rather than fail.
      if (isObject(block.text) && block.text.text === '') {
        if (Array.isArray(block.fields) && block.fields.length) delete block.text;
        else block.text.text = '—';
      }
      if (Array.isArray(block.fields)) {
        block.fields = fitList(block.fields, LIMITS.sectionFields, ctx, `${path}.fields`);
        (block.fields as unknown[]).forEach((f, i) => {
          fitText(f, LIMITS.sectionField, ctx, `${path}.fields[${i}]`);
          if (isObject(f) && f.text === '') f.text = '—';
        });
      }
      if (block.accessory) fitElement(block.accessory, ctx, `${path}.accessory`);
      break;
    }
    case 'context':
      if (Array.isArray(block.elements)) {
        block.elements = fitList(block.elements, LIMITS.contextElements, ctx, `${path}.elements`);
        (block.elements as unknown[]).forEach((e, i) => {
          fitText(e, LIMITS.contextText, ctx, `${path}.elements[${i}]`);
          nonEmptyText(e);
        });
      }
      break;
    case 'actions':
      if (Array.isArray(block.elements)) {
        block.elements = fitList(block.elements, LIMITS.actionsElements, ctx, `${path}.elements`);
        (block.elements as unknown[]).forEach((e, i) => fitElement(e, ctx, `${path}.elements[${i}]`));
      }
      break;
    case 'input':
      fitText(block.label, LIMITS.inputLabel, ctx, `${path}.label`);
      fitElement(block.element, ctx, `${path}.element`);
      break;
    default:
      break;
  }
}

function fitBlocks(blocks: unknown, max: number, ctx: Ctx): Json[] {
  if (!Array.isArray(blocks)) throw new BlockKitError('blocks: must be an array');
  let list = blocks.filter(isObject);
  if (list.length !== blocks.length) throw new BlockKitError('blocks: every block must be an object with a type');
  // An actions or context block with no elements is invalid_blocks; a template that had nothing to put in one
  // means "no such block".
  list = list.filter((b) => !((b.type === 'actions' || b.type === 'context') && Array.isArray(b.elements) && b.elements.length === 0));
  if (list.length > max) {
    // Keep max - 1 blocks and say how many were left out, so the reader knows the card is incomplete.
    const hidden = list.length - (max - 1);
    ctx.truncations.push(`blocks: ${list.length} > ${max}`);
    list = [...list.slice(0, max - 1), { type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${hidden} more not shown` }] }];
  }
  list.forEach((b, i) => {
    if (typeof b.type !== 'string') throw new BlockKitError(`blocks[${i}]: missing type`);
    fitBlock(b, ctx, `blocks[${i}]`);
  });
  return list;
}

/**
 * The first header or section text: the notification fallback when a message has no `text`. Message text is
 * mrkdwn, so plain_text taken from a header is escaped: `<!channel>` shown harmlessly there must not ping here.
 */
function fallbackText(blocks: Json[]): string {
  for (const b of blocks) {
    const t = isObject(b.text) && typeof b.text.text === 'string' ? b.text.text : undefined;
    if (t) return isObject(b.text) && b.text.type === 'plain_text' ? escapeMrkdwn(t) : t;
  }
  return 'taser';
}

export interface MessagePayload {
  text: string;
  blocks: Json[];
}

export function enforceMessageLimits(message: { text?: unknown; blocks?: unknown }): { value: MessagePayload; truncations: string[] } {
  const ctx: Ctx = { path: '', truncations: [] };
  const blocks = fitBlocks(message.blocks ?? [], LIMITS.messageBlocks, ctx);
  let text = typeof message.text === 'string' && message.text.trim() !== '' ? message.text : fallbackText(blocks);
  if (text.length > LIMITS.messageText) {
    ctx.truncations.push(`text: ${text.length} > ${LIMITS.messageText}`);
    text = truncateText(text, LIMITS.messageText);
  }
  return { value: { text, blocks }, truncations: ctx.truncations };
}

export function enforceViewLimits(view: Json, surface: 'modal' | 'home' = 'modal'): { value: Json; truncations: string[] } {
  const ctx: Ctx = { path: '', truncations: [] };
  const out: Json = { ...view, blocks: fitBlocks(view.blocks ?? [], LIMITS.modalBlocks, ctx) };
  if (surface === 'modal') {
    for (const key of ['title', 'submit', 'close']) fitText(out[key], LIMITS.modalTitle, ctx, key);
  }
  checkId(out.callback_id, LIMITS.callbackId, 'callback_id', 'view');
  checkId(out.private_metadata, LIMITS.privateMetadata, 'private_metadata', 'view');
  const size = Buffer.byteLength(JSON.stringify(out));
  if (size > LIMITS.viewBytes) throw new BlockKitError(`view is ${size} bytes; Slack allows ${LIMITS.viewBytes} (view_too_large)`);
  return { value: out, truncations: ctx.truncations };
}
