// An independent checker of Block Kit messages against shared/contracts/EXTERNAL_APIS.md 2.4: it walks every
// block and element and lists what Slack would refuse (or truncate), so a test can assert the list is empty.
// Written separately from src/blocks/limits.ts on purpose: the code that fits a message is not its own judge.

type Json = Record<string, any>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function textObject(obj: unknown, path: string, max: number, problems: string[], only?: 'plain_text' | 'mrkdwn'): void {
  if (!isObject(obj)) return void problems.push(`${path}: not a text object`);
  if (obj.type !== 'plain_text' && obj.type !== 'mrkdwn') problems.push(`${path}.type: ${JSON.stringify(obj.type)}`);
  if (only && obj.type !== only) problems.push(`${path}: must be ${only}`);
  if (typeof obj.text !== 'string' || obj.text.length < 1) problems.push(`${path}.text: empty`);
  else if (obj.text.length > max) problems.push(`${path}.text: ${obj.text.length} > ${max}`);
}

function element(el: unknown, path: string, problems: string[]): void {
  if (!isObject(el)) return void problems.push(`${path}: not an object`);
  if (typeof el.action_id === 'string' && el.action_id.length > 255) problems.push(`${path}.action_id: ${el.action_id.length} > 255`);
  if (el.type === 'button') {
    if (typeof el.action_id !== 'string' || el.action_id === '') problems.push(`${path}.action_id: missing`);
    textObject(el.text, `${path}.text`, 75, problems, 'plain_text');
    if (el.value !== undefined && (typeof el.value !== 'string' || el.value.length > 2000)) problems.push(`${path}.value: too long or not a string`);
    if (el.url !== undefined && (typeof el.url !== 'string' || el.url.length > 3000)) problems.push(`${path}.url: too long or not a string`);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') problems.push(`${path}.style: ${JSON.stringify(el.style)}`);
  }
}

/** Every way the message breaks Slack's limits; [] when it is valid. */
export function blockKitProblems(message: { text?: unknown; blocks?: unknown }): string[] {
  const problems: string[] = [];
  if (typeof message.text !== 'string' || message.text.length < 1) problems.push('text: empty');
  else if (message.text.length > 40_000) problems.push(`text: ${message.text.length} > 40000`);
  if (!Array.isArray(message.blocks)) return [...problems, 'blocks: not an array'];
  if (message.blocks.length > 50) problems.push(`blocks: ${message.blocks.length} > 50`);
  message.blocks.forEach((b: unknown, i: number) => {
    const path = `blocks[${i}]`;
    if (!isObject(b)) return void problems.push(`${path}: not an object`);
    if (b.block_id !== undefined && (typeof b.block_id !== 'string' || b.block_id.length > 255)) problems.push(`${path}.block_id: too long`);
    switch (b.type) {
      case 'header':
        textObject(b.text, `${path}.text`, 150, problems, 'plain_text');
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) problems.push(`${path}: neither text nor fields`);
        if (b.text !== undefined) textObject(b.text, `${path}.text`, 3000, problems);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length < 1 || b.fields.length > 10) problems.push(`${path}.fields: 1 to 10 items`);
          else b.fields.forEach((f: unknown, j: number) => textObject(f, `${path}.fields[${j}]`, 2000, problems));
        }
        if (b.accessory !== undefined) element(b.accessory, `${path}.accessory`, problems);
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) problems.push(`${path}.elements: 1 to 10 items`);
        else b.elements.forEach((e: Json, j: number) => e?.type !== 'image' && textObject(e, `${path}.elements[${j}]`, 3000, problems));
        break;
      case 'actions': {
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 25) problems.push(`${path}.elements: 1 to 25 items`);
        else {
          b.elements.forEach((e: unknown, j: number) => element(e, `${path}.elements[${j}]`, problems));
          const ids = b.elements.map((e: Json) => e?.action_id).filter((id: unknown) => id !== undefined);
          if (new Set(ids).size !== ids.length) problems.push(`${path}: action_ids are not unique`);
        }
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${path}.type: ${JSON.stringify(b.type)} is not checked here`);
    }
  });
  return problems;
}

/** Every string in the message (text, fields, elements, values...). */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => allStrings(v, out));
  else if (isObject(value)) Object.values(value).forEach((v) => allStrings(v, out));
  return out;
}

/** The strings Slack parses as mrkdwn: the message text and every mrkdwn text object (plain_text is shown as is). */
export function mrkdwnStrings(message: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      if (v.type === 'mrkdwn' && typeof v.text === 'string') out.push(v.text);
      Object.values(v).forEach(walk);
    }
  };
  if (isObject(message) && typeof message.text === 'string') out.push(message.text);
  walk(isObject(message) ? message.blocks : message);
  return out;
}

/**
 * Live Slack control sequences left in mrkdwn: `<!...>` other than a date token, `<#...>`, and `<@...>` other
 * than the mentions a test allows. Escaped text shows as `&lt;!channel&gt;`, which does not match.
 */
export function liveMentions(message: unknown, allowed: string[] = []): string[] {
  const found: string[] = [];
  for (const s of mrkdwnStrings(message)) {
    for (const m of s.matchAll(/<[!@#][^>]*>?/g)) {
      if (m[0].startsWith('<!date^')) continue;
      if (allowed.includes(m[0])) continue;
      found.push(m[0]);
    }
  }
  return found;
}
