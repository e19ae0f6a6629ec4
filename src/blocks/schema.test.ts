import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BLOCKS_DIR } from '../app/paths.js';
import { TemplateRenderer } from './renderer.js';
import { messageSchemaProblems, viewSchemaProblems } from './schema.js';

const text = (t: string, type: 'plain_text' | 'mrkdwn' = 'mrkdwn') => ({ type, text: t });

describe('Block Kit schema', () => {
  it('accepts a message with the blocks the cards use', () => {
    expect(
      messageSchemaProblems({
        text: 'x',
        blocks: [
          { type: 'header', text: text('Alert', 'plain_text') },
          { type: 'section', text: text('*hi*'), fields: [text('a'), text('b')], accessory: { type: 'button', text: text('Go', 'plain_text'), url: 'https://x.test' } },
          { type: 'context', elements: [text('ctx'), { type: 'image', image_url: 'https://x.test/i.png', alt_text: 'i' }] },
          { type: 'actions', elements: [{ type: 'button', text: text('Ack', 'plain_text'), action_id: 'alerts:ack', value: '{}', style: 'primary' }, { type: 'static_select', action_id: 'a:s', options: [{ text: text('1', 'plain_text'), value: '1' }] }] },
          { type: 'divider' },
        ],
      }),
    ).toEqual([]);
  });

  it('names an unknown block type, a missing required field, a wrong text type and an unknown field', () => {
    expect(
      messageSchemaProblems({
        blocks: [
          { type: 'sectoin', text: text('x') },
          { type: 'header', text: text('*bold*') },
          { type: 'section' },
          { type: 'actions', elements: [{ type: 'button', action_id: 'a' }] },
          { type: 'context', elements: [text('x')], colour: 'red' },
          { type: 'image', alt_text: 'no url' },
        ],
      }),
    ).toEqual([
      'blocks[0].type: "sectoin" is not a Block Kit block type',
      expect.stringMatching(/^blocks\[1\]\.text\.type: .*plain_text/),
      'blocks[2]: a section needs text or fields',
      expect.stringMatching(/^blocks\[3\]\.elements\[0\]/),
      'blocks[4]: unknown field(s) "colour"',
      'blocks[5]: an image needs image_url or slack_file',
    ]);
  });

  it('checks views: a modal needs a title, input blocks need submit, a message cannot take a view type', () => {
    const input = { type: 'input', label: text('Q', 'plain_text'), element: { type: 'plain_text_input', action_id: 'q' } };
    expect(viewSchemaProblems({ type: 'modal', title: text('Ask', 'plain_text'), submit: text('Send', 'plain_text'), blocks: [input] })).toEqual([]);
    expect(viewSchemaProblems({ type: 'modal', blocks: [input] })).toEqual([expect.stringMatching(/^view\.title: /)]);
    expect(viewSchemaProblems({ type: 'modal', title: text('Ask', 'plain_text'), blocks: [input] })).toEqual(['view.submit: a modal with input blocks needs a submit button']);
    expect(viewSchemaProblems({ type: 'home', blocks: [{ type: 'file', external_id: 'x', source: 'remote' }] })).toEqual(['blocks[0].type: a home cannot hold a "file" block']);
    expect(viewSchemaProblems({ type: 'message', blocks: [] })).toEqual(['view.type: "message" is not "modal" or "home"']);
  });

  it('holds for every core template rendered with its example', () => {
    const r = new TemplateRenderer();
    r.loadDirectory(BLOCKS_DIR);
    for (const name of readdirSync(BLOCKS_DIR).filter((f) => f.endsWith('.hbs')).map((f) => basename(f, '.hbs'))) {
      const out = r.render(name, JSON.parse(readFileSync(join(BLOCKS_DIR, `${name}.example.json`), 'utf8')) as unknown);
      expect(messageSchemaProblems(out), name).toEqual([]);
    }
  });
});
