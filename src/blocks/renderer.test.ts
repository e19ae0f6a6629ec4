import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BLOCKS_DIR } from '../app/paths.js';
import { TemplateError, TemplateRenderer } from './renderer.js';
import { truncateText } from './truncate.js';

// An independent check of the Block Kit limits the rendered output must respect (EXTERNAL_APIS.md 2.4).
function assertWithinLimits(message: { text: string; blocks: Record<string, any>[] }): void {
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(40_000);
  for (const b of message.blocks) {
    if (b.block_id) expect(b.block_id.length).toBeLessThanOrEqual(255);
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(150);
    if (b.type === 'section') {
      if (b.text) expect(b.text.text.length).toBeGreaterThanOrEqual(1);
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      if (b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(10);
        for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(2000);
      }
    }
    if (b.type === 'actions') {
      expect(b.elements.length).toBeLessThanOrEqual(25);
      for (const e of b.elements) {
        expect(e.action_id.length).toBeLessThanOrEqual(255);
        expect(e.text.text.length).toBeLessThanOrEqual(75);
        if (e.value) expect(e.value.length).toBeLessThanOrEqual(2000);
      }
    }
  }
}

const CARD = `{
  "text": {{text title}},
  "blocks": [
    { "type": "header", "text": { "type": "plain_text", "text": {{plain title}} } },
    { "type": "section", "text": { "type": "mrkdwn", "text": {{text detail}} },
      "fields": [ {{#each fields}}{ "type": "mrkdwn", "text": {{text this}} }{{#unless @last}},{{/unless}}{{/each}} ] },
    { "type": "actions", "elements": [
      {{#each buttons}}{ "type": "button", "action_id": {{json (concat "ns:b:" @index)}}, "text": { "type": "plain_text", "text": {{plain this}} }, "value": {{json (concat "v" @index)}} }{{#unless @last}},{{/unless}}{{/each}}
    ] }
  ]
}`;

function card(data: Record<string, unknown>) {
  const r = new TemplateRenderer();
  r.register('card', CARD);
  return r.render('card', { title: 't', detail: 'd', fields: ['f'], buttons: ['b'], ...data });
}

describe('template rendering', () => {
  it.each([
    ['quotes and backslashes', 'say "hi" \\ there'],
    ['newlines and tabs', 'line1\nline2\tend\r\n'],
    ['markup characters', '<b> & </b> *bold* _it_ ~strike~ `code` ```block```'],
    ['emoji and ZWJ sequences', '👩‍💻 🇳🇱 👍🏽 family 👨‍👩‍👧‍👦'],
    ['right-to-left text', 'مرحبا بالعالم שלום עולם'],
  ])('keeps %s intact and valid', (_label, value) => {
    const out = card({ title: value, detail: value, fields: [value] });
    assertWithinLimits(out as never);
    const section = out.blocks[1] as any;
    const escaped = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(section.text.text).toBe(escaped);
    expect((out.blocks[0] as any).text.text).toBe(value); // plain_text is not escaped
  });

  it('never lets <!channel> or a user mention through unescaped', () => {
    const out = card({ title: '<!channel> alert', detail: 'ping <@U123> and <!here|here>', fields: ['<!everyone>'] });
    const json = JSON.stringify(out.blocks.slice(1)) + out.text;
    expect(json).not.toMatch(/<!channel>|<!here|<@U123>|<!everyone>/);
    expect((out.blocks[1] as any).text.text).toBe('ping &lt;@U123&gt; and &lt;!here|here&gt;');
  });

  it('truncates 10,000-character values to the limits with an ellipsis', () => {
    const huge = 'x'.repeat(10_000);
    const out = card({ title: huge, detail: huge, fields: Array(12).fill(huge), buttons: Array(30).fill(huge) });
    assertWithinLimits(out as never);
    expect((out.blocks[0] as any).text.text).toHaveLength(150);
    expect((out.blocks[0] as any).text.text.endsWith('…')).toBe(true);
    expect((out.blocks[1] as any).fields).toHaveLength(10);
    expect((out.blocks[2] as any).elements).toHaveLength(25);
  });

  it('keeps a message to 50 blocks, saying how many were left out', () => {
    const r = new TemplateRenderer();
    r.register('many', `{ "text": "x", "blocks": [ {{#each items}}{ "type": "section", "text": { "type": "mrkdwn", "text": {{text this}} } }{{#unless @last}},{{/unless}}{{/each}} ] }`);
    const out = r.render('many', { items: Array.from({ length: 60 }, (_, i) => `item ${i}`) });
    expect(out.blocks).toHaveLength(50);
    expect(JSON.stringify(out.blocks[49])).toContain('and 11 more not shown');
  });

  it('names the template and the problem when a variable is missing or the JSON is broken', () => {
    const r = new TemplateRenderer();
    r.register('missing', '{ "text": {{text nope}}, "blocks": [] }', 'blocks/missing.hbs');
    expect(() => r.render('missing', {})).toThrow(/template "missing" \(blocks\/missing\.hbs\).*\{\{text\}\} got an undefined value/);
    r.register('broken', '{ "text": {{text a}} "blocks": [] }');
    expect(() => r.render('broken', { a: 'x' })).toThrow(/template "broken".*invalid JSON/);
    expect(() => r.register('bad', '{{#if}}')).toThrow(TemplateError);
  });

  it('refuses identifiers and payloads that cannot be truncated', () => {
    const r = new TemplateRenderer();
    r.register('value', '{ "text": "x", "blocks": [ { "type": "actions", "elements": [ { "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": "b" }, "value": {{json v}} } ] } ] }');
    expect(() => r.render('value', { v: 'v'.repeat(2001) })).toThrow(/button value is 2001 characters/);
  });

  it('derives the notification text when a template gives none', () => {
    const r = new TemplateRenderer();
    r.register('notext', '{ "blocks": [ { "type": "header", "text": { "type": "plain_text", "text": "Alert!" } } ] }');
    expect(r.render('notext', {}).text).toBe('Alert!');
  });
});

describe('core templates', () => {
  it('every template in blocks/ renders its name.example.json', () => {
    const r = new TemplateRenderer();
    r.loadDirectory(BLOCKS_DIR);
    const names = readdirSync(BLOCKS_DIR).filter((f) => f.endsWith('.hbs')).map((f) => basename(f, '.hbs'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const example = JSON.parse(readFileSync(join(BLOCKS_DIR, `${name}.example.json`), 'utf8')) as unknown;
      const out = r.render(name, example);
      assertWithinLimits(out as never);
    }
  });
});

describe('partials and mrkdwn helpers', () => {
  it('loads partials from partials/ (not as templates), strict like templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taser-blocks-'));
    try {
      mkdirSync(join(dir, 'partials'));
      writeFileSync(join(dir, 'partials', 'line.hbs'), '{ "type": "section", "text": { "type": "mrkdwn", "text": {{text label}} } }');
      writeFileSync(join(dir, 'card.hbs'), '{ "text": "t", "blocks": [ {{> line label=first}}, {{> line label="fixed"}} ] }');
      const r = new TemplateRenderer();
      r.loadDirectory(dir, { prefix: 'ns' });
      expect(r.names()).toEqual(['ns:card']);
      // A prefixed partial is called by its full name; the unprefixed one does not exist.
      expect(() => r.render('ns:card', { first: 'x' })).toThrow(/partial line could not be found/i);
      writeFileSync(join(dir, 'card.hbs'), '{ "text": "t", "blocks": [ {{> ns:line label=first}}, {{> ns:line label="fixed"}} ] }');
      const r2 = new TemplateRenderer();
      r2.loadDirectory(dir, { prefix: 'ns' });
      const out = r2.render('ns:card', { first: '<!here>' });
      expect(out.blocks.map((b: any) => b.text.text)).toEqual(['&lt;!here&gt;', 'fixed']);
      expect(() => r2.render('ns:card', {})).toThrow(/undefined value/);
      expect(() => r2.registerPartial('ns:line', 'x', 'elsewhere')).toThrow(/partial "ns:line" is defined twice/);
      expect(() => r2.registerPartial('bad', '{{#if}}')).toThrow(TemplateError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('code spans, mentions of real user ids only, and escaped fallback text from a plain header', () => {
    const r = new TemplateRenderer();
    r.register('h', `{ "blocks": [
      { "type": "header", "text": { "type": "plain_text", "text": {{plain title}} } },
      { "type": "section", "text": { "type": "mrkdwn", "text": {{json (concat (code v) " " (codes list) " " (mention a) " " (mention b))}} } } ] }`);
    const out = r.render('h', { title: '<!channel> *x*', v: 'a`b\n<c>', list: ['1', '*2*'], a: 'U024BE7LH', b: '<!channel>' });
    expect((out.blocks[1] as any).text.text).toBe('`aˋb &lt;c&gt;` `1` `*2*` <@U024BE7LH> &lt;!channel&gt;');
    expect(out.text).toBe('&lt;!channel&gt; *x*');
  });

  it('replaces empty text Slack would refuse and drops empty actions and context blocks', () => {
    const r = new TemplateRenderer();
    r.register('e', `{ "text": "t", "blocks": [
      { "type": "header", "text": { "type": "plain_text", "text": "" } },
      { "type": "actions", "elements": [] },
      { "type": "context", "elements": [ { "type": "mrkdwn", "text": "" } ] },
      { "type": "context", "elements": [] },
      { "type": "actions", "elements": [ { "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": "" } } ] } ] }`);
    const out = r.render('e', {});
    expect(out.blocks.map((b: any) => b.type)).toEqual(['header', 'context', 'actions']);
    expect(JSON.stringify(out.blocks)).not.toContain('"text":""');
  });
});

describe('truncateText', () => {
  it('never cuts a Slack token (<url|label>, <!date^...>) in half', () => {
    const text = 'see <https://example.test/a/long/path|the details> now';
    expect(truncateText(text, 20)).toBe('see …');
    expect(truncateText(text, 53)).toBe('see <https://example.test/a/long/path|the details> n…');
    expect(truncateText('First seen <!date^1714557600^{date_short_pretty}|2024-05-01T10:00:00Z>', 40)).toBe('First seen …');
    expect(truncateText('&lt;!channel&gt; x', 10)).toBe('&lt;!chan…');
  });

  it('cuts at grapheme boundaries and never inside an entity', () => {
    expect(truncateText('👩‍💻👩‍💻👩‍💻', 7)).toBe('👩‍💻…');
    expect(truncateText('abc&amp;def', 6)).toBe('abc…');
    expect(truncateText('short', 10)).toBe('short');
    const rtl = truncateText('שלום עולם '.repeat(50), 100);
    expect(rtl.length).toBeLessThanOrEqual(100);
  });
});
