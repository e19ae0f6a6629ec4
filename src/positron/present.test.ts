import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { TemplateRenderer } from '../blocks/renderer.js';
import { presentResult } from './present.js';

const blocks = fileURLToPath(new URL('../../blocks', import.meta.url));

describe('Positron result card', () => {
  const renderer = new TemplateRenderer();
  renderer.loadDirectory(blocks);

  it('shows the top answer, its sources, alternatives and provider outcomes, escaped', () => {
    const view = presentResult({
      query: 'IP_TO_HOSTNAME',
      input: { ip: '10.1.2.3' },
      top: { key: 'web01', value: {}, summary: 'web01 <!channel>', agreement: 2, weight: 1, sources: [{ provider: 'dns:dns', confidence: 1, priority: 1 }, { provider: 'inventory:dhcp', confidence: 1, priority: 1 }] },
      alternatives: [{ key: 'old', value: {}, summary: 'old-host', agreement: 1, weight: 1, sources: [{ provider: 'cmdb:cmdb', confidence: 1, priority: 1 }] }],
      providers: [
        { provider: 'dns:dns', status: 'answered', ms: 3 },
        { provider: 'slow:slow', status: 'timeout', ms: 5000, error: 'no answer within 5000 ms' },
      ],
      cached: false,
      at: '2026-11-24T00:00:00Z',
    });
    const out = renderer.render('positron-result', view);
    const json = JSON.stringify(out);
    expect(json).toContain('web01 &lt;!channel&gt;');
    expect(json).not.toContain('<!channel>');
    expect(json).toContain('from dns:dns, inventory:dhcp');
    expect(json).toContain('Alternative: old-host (from cmdb:cmdb)');
    expect(json).toContain('slow:slow: timeout (5000 ms)');
    expect(out.text).toBe('IP_TO_HOSTNAME 10.1.2.3: web01 &lt;!channel&gt;');
  });

  it('says so when nobody answered', () => {
    const out = renderer.render('positron-result', presentResult({ query: 'HASH_REPUTATION', input: { hash: 'a'.repeat(32) }, alternatives: [], providers: [], cached: false, at: '' }));
    expect(JSON.stringify(out)).toContain('No enabled plugin answers this query.');
    expect(JSON.stringify(out)).toContain('no provider answers this query');
  });
});
