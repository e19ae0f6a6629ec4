import { describe, expect, it } from 'vitest';
import { blocksToHtml, mrkdwnToHtml } from './block-kit-html.js';
import { dayChartSvg } from './day-chart.js';

describe('Block Kit as HTML', () => {
  it('renders mrkdwn as Slack shows it, escaping everything a signal could inject', () => {
    expect(mrkdwnToHtml('*High* _risk_ ~old~ `a<b>` :red_circle:')).toBe('<b>High</b> <i>risk</i> <s>old</s> <code>a&lt;b&gt;</code> 🔴');
    expect(mrkdwnToHtml('<https://x.example/a?b=1&amp;c=2|open *it*> <@U123> <!here> <#C1|soc>')).toBe(
      '<a href="https://x.example/a?b=1&amp;c=2" rel="noopener noreferrer">open <b>it</b></a> <span class="bk-mention">@U123</span> <span class="bk-mention">@here</span> <span class="bk-mention">#soc</span>',
    );
    expect(mrkdwnToHtml('&lt;script&gt;alert(1)&lt;/script&gt; <javascript:alert(1)|click>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt; click');
    expect(mrkdwnToHtml('"quoted"\nline')).toBe('&quot;quoted&quot;<br>line');
  });

  it('renders header, section with fields and accessory, context, divider, actions, and unknown blocks as JSON', () => {
    const html = blocksToHtml([
      { type: 'header', text: { type: 'plain_text', text: 'Alert <1>' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*user* alice' }, fields: [{ type: 'mrkdwn', text: '*Host*\nweb01' }], accessory: { type: 'button', text: { type: 'plain_text', text: 'Details' }, url: 'https://taser.example/a/1' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'rule `pushes`' }] },
      { type: 'divider' },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Ack' }, style: 'primary', action_id: 'a' }] },
      { type: 'rich_text', elements: [] },
    ]);
    expect(html).toContain('<div class="bk-header">Alert &lt;1&gt;</div>');
    expect(html).toContain('<div class="bk-fields"><div><b>Host</b><br>web01</div></div>');
    expect(html).toContain('<a class="bk-button" href="https://taser.example/a/1" rel="noopener noreferrer">Details</a>');
    expect(html).toContain('<div class="bk-context"><span>rule <code>pushes</code></span></div>');
    expect(html).toContain('<span class="bk-button bk-primary">Ack</span>');
    expect(html).toContain('<pre class="bk-unknown">{\n  &quot;type&quot;: &quot;rich_text&quot;');
  });
});

describe('alerts per day chart', () => {
  it('draws one bar per day of the period, zero days included, scaled to the busiest', () => {
    const svg = dayChartSvg({ '2026-11-02': 4, '2026-11-04': 2 }, new Date('2026-11-01T12:00:00Z'), new Date('2026-11-04T00:00:00Z'));
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg).toContain('<title>2026-11-02: 4</title>');
    expect(svg).toContain('<title>2026-11-03: 0</title>');
    expect(svg).toContain('>2026-11-01</text>');
    expect(svg).toContain('>4</text>');
  });
});
