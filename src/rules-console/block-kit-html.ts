// Block Kit as approximate HTML, for the console's sample alert cards: header, section (text, fields, an
// accessory button or image), context, divider, actions (buttons), image; anything else as its JSON. mrkdwn
// is rendered the way Slack shows it (*bold*, _italic_, ~strike~, `code`, ```pre```, <url|links>, mentions),
// and everything is HTML-escaped first: card text comes from signals an attacker may control. Only http(s)
// and mailto links become links.
import type { SlackBlock } from '../plugins/types.js';

type Text = { type?: string; text?: string; emoji?: boolean };
type Element = { type?: string; text?: Text | string; url?: string; style?: string; image_url?: string; alt_text?: string; elements?: unknown[] };

const EMOJI: Record<string, string> = {
  red_circle: '🔴', large_orange_circle: '🟠', large_yellow_circle: '🟡', large_blue_circle: '🔵', information_source: 'ℹ️',
  large_green_circle: '🟢', white_circle: '⚪', warning: '⚠️', rotating_light: '🚨', mag: '🔍', link: '🔗', bust_in_silhouette: '👤',
  computer: '💻', globe_with_meridians: '🌐', clock3: '🕒', white_check_mark: '✅', zzz: '💤', lock: '🔒', x: '❌', white_small_square: '▫️',
};

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const emoji = (s: string) => s.replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m);
const safeUrl = (url: string) => (/^(https?:|mailto:)/i.test(url) ? url : undefined);

/** Slack's own escapes (&amp; &lt; &gt;) back to characters, before escaping for HTML. */
const unslack = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function inline(text: string): string {
  return emoji(escapeHtml(unslack(text)))
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?])/g, '$1<i>$2</i>')
    .replace(/~([^~\n]+)~/g, '<s>$1</s>');
}

/** mrkdwn to HTML: code spans and Slack's <...> tokens are cut out first, so formatting never reaches into them. */
export function mrkdwnToHtml(text: string): string {
  let out = '';
  const token = /```([\s\S]*?)```|`([^`\n]+)`|<([^<>\n]+)>/g;
  let last = 0;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    out += inline(text.slice(last, m.index));
    last = token.lastIndex;
    if (m[1] !== undefined) out += `<pre>${escapeHtml(unslack(m[1]))}</pre>`;
    else if (m[2] !== undefined) out += `<code>${escapeHtml(unslack(m[2]))}</code>`;
    else {
      const [target = '', label] = m[3]!.split('|', 2);
      if (/^[@#!]/.test(target)) out += `<span class="bk-mention">${escapeHtml(target[0] === '#' && label ? `#${label}` : (label ?? target).replace(/^!/, '@'))}</span>`;
      else {
        const url = safeUrl(unslack(target));
        out += url ? `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${inline(label ?? target)}</a>` : inline(label ?? target);
      }
    }
  }
  return (out + inline(text.slice(last))).replace(/\n/g, '<br>');
}

function textHtml(t: Text | string | undefined): string {
  if (t === undefined) return '';
  if (typeof t === 'string') return escapeHtml(t);
  return t.type === 'mrkdwn' ? mrkdwnToHtml(t.text ?? '') : emoji(escapeHtml(t.text ?? '')).replace(/\n/g, '<br>');
}

function elementHtml(e: Element): string {
  if (e.type === 'button') {
    const label = textHtml(e.text);
    const url = e.url ? safeUrl(e.url) : undefined;
    const cls = `bk-button${e.style ? ` bk-${e.style === 'danger' ? 'danger' : 'primary'}` : ''}`;
    return url ? `<a class="${cls}" href="${escapeHtml(url)}" rel="noopener noreferrer">${label}</a>` : `<span class="${cls}">${label}</span>`;
  }
  if (e.type === 'image') return e.image_url && safeUrl(e.image_url) ? `<span class="bk-image" title="${escapeHtml(e.alt_text ?? '')}">[image]</span>` : '';
  if (e.type === 'mrkdwn' || e.type === 'plain_text') return `<span>${textHtml(e as Text)}</span>`;
  if (e.type === 'overflow' || e.type?.endsWith('_select')) return `<span class="bk-button">${escapeHtml(e.type)}</span>`;
  return `<code>${escapeHtml(JSON.stringify(e))}</code>`;
}

function blockHtml(block: SlackBlock): string {
  const b = block as SlackBlock & { text?: Text; fields?: Text[]; accessory?: Element; elements?: Element[]; image_url?: string; alt_text?: string };
  switch (b.type) {
    case 'header':
      return `<div class="bk-header">${textHtml(b.text)}</div>`;
    case 'divider':
      return '<hr class="bk-divider">';
    case 'section': {
      const fields = b.fields?.length ? `<div class="bk-fields">${b.fields.map((f) => `<div>${textHtml(f)}</div>`).join('')}</div>` : '';
      const accessory = b.accessory ? `<div class="bk-accessory">${elementHtml(b.accessory)}</div>` : '';
      return `<div class="bk-section"><div>${textHtml(b.text)}${fields}</div>${accessory}</div>`;
    }
    case 'context':
      return `<div class="bk-context">${(b.elements ?? []).map(elementHtml).join(' ')}</div>`;
    case 'actions':
      return `<div class="bk-actions">${(b.elements ?? []).map(elementHtml).join(' ')}</div>`;
    case 'image':
      return `<div class="bk-image">[image: ${escapeHtml(b.alt_text ?? '')}]</div>`;
    default:
      return `<pre class="bk-unknown">${escapeHtml(JSON.stringify(block, null, 2))}</pre>`;
  }
}

/** A message's blocks as one HTML fragment (class names `bk-*`, styled by the page). */
export function blocksToHtml(blocks: readonly SlackBlock[]): string {
  return `<div class="bk-message">${blocks.map(blockHtml).join('\n')}</div>`;
}
