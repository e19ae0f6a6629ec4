// `taser preview` as a rule author runs it: the real command in a child process, on a small rules and signals file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTaser } from '../../test/support/cli.js';
import { blockKitProblems, liveMentions, mrkdwnStrings } from '../../test/support/block-kit-check.js';

let dir: string;
const file = (name: string) => join(dir, name);

const RULES = `
rules:
  - id: sso-then-duo
    name: SSO from a new location, then Duo pushes denied
    severity: medium
    team: identity
    template: identity
    expr: "[( 1 SSO login new location) + ( 2 duo push denied) ] IN [ 4 Hours ] WITH [ username ] IN COMMON"
  - id: ids-burst
    severity: low
    template: network
    parts: [{ match: { type: ids_alert }, count: 2 }]
    window: 10m
    groupBy: [dst_ip]
`;

const signals = [
  { id: 'd1', source: 'duo', type: 'duo_push_denied', occurredAt: '2024-05-01T09:00:00Z', severity: 'high', title: 'Push denied <!channel>', artifacts: { username: 'alice', src_ip: '89.160.20.156' } },
  { id: 'b1', source: 'duo', type: 'duo_push_denied', occurredAt: '2024-05-01T09:30:00Z', artifacts: { username: 'bob' } },
  { id: 'd2', source: 'duo', type: 'duo_push_denied', occurredAt: '2024-05-01T10:00:00Z', artifacts: { username: 'Alice', src_ip: '89.160.20.156' } },
  { id: 'o1', source: 'okta', type: 'sso_login_new_location', occurredAt: '2024-05-01T12:59:00Z', title: 'Login from Toronto', artifacts: { username: 'ALICE', src_ip: '81.2.69.144', city: 'Toronto', country: 'Canada' }, link: 'https://okta.test/e/o1' },
  { id: 'd3', source: 'duo', type: 'duo_push_denied', occurredAt: '2024-05-01T13:00:00Z', artifacts: { username: 'alice' } },
  // The same id from another source: the card must show the suricata signal, not this one.
  { id: 's1', source: 'okta', type: 'other', occurredAt: '2020-01-01T00:00:00Z', title: 'wrong signal', artifacts: {} },
  { id: 's1', source: 'suricata', type: 'ids_alert', occurredAt: '2024-05-02T08:00:00Z', title: 'ET POLICY curl', artifacts: { src_ip: '10.0.0.5', dst_ip: '93.184.216.34', dst_port: 80 } },
  { id: 's2', source: 'suricata', type: 'ids_alert', occurredAt: '2024-05-02T08:01:00Z', severity: 'medium', title: 'ET POLICY curl', artifacts: { src_ip: '10.0.0.5', dst_ip: '93.184.216.34', dst_port: 80 } },
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'taser-preview-'));
  writeFileSync(file('rules.yaml'), RULES);
  writeFileSync(file('signals.jsonl'), signals.map((s) => JSON.stringify(s)).join('\n') + '\n');
  writeFileSync(file('bad-rules.yaml'), 'rules:\n  - id: broken\n    parts: []\n');
  writeFileSync(file('bad-signals.jsonl'), `${JSON.stringify(signals[0])}\n{"id":"x","source":"duo","type":"t","occurredAt":"yesterday"}\nnot json\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Card {
  rule: string;
  group: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
  signals: string[];
  message: { text: string; blocks: Record<string, unknown>[] };
}

describe('taser preview', () => {
  let json: Awaited<ReturnType<typeof runTaser>>;
  let listing: Awaited<ReturnType<typeof runTaser>>;
  beforeAll(async () => {
    [json, listing] = await Promise.all([
      runTaser(['preview', '--rules', file('rules.yaml'), '--signals', file('signals.jsonl'), '--json'], {}),
      runTaser(['preview', '--rules', file('rules.yaml'), '--signals', file('signals.jsonl')], {}),
    ]);
  });

  it('--json prints each alert with exactly the chat.postMessage arguments of its card', () => {
    const { code, stdout, stderr } = json;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const cards = JSON.parse(stdout) as Card[];
    expect(cards.map((c) => [c.rule, c.group, c.signals, c.firstSeen, c.lastSeen])).toEqual([
      ['sso-then-duo', { username: 'alice' }, ['d1', 'd2', 'o1', 'd3'], '2024-05-01T09:00:00.000Z', '2024-05-01T13:00:00.000Z'],
      ['ids-burst', { dst_ip: '93.184.216.34' }, ['s1', 's2'], '2024-05-02T08:00:00.000Z', '2024-05-02T08:01:00.000Z'],
    ]);
    for (const card of cards) {
      expect(Object.keys(card.message)).toEqual(['text', 'blocks']);
      expect(blockKitProblems(card.message)).toEqual([]);
      expect(liveMentions(card.message)).toEqual([]);
    }
    const [sso, ids] = cards as [Card, Card];
    // The rule says medium; d1 is high, so the alert is high.
    expect(sso.message.text).toBe('[HIGH] SSO from a new location, then Duo pushes denied (username=alice): 4 signals');
    const ssoText = mrkdwnStrings(sso.message);
    expect(ssoText).toContain('*Location*\n`Toronto, Canada`');
    expect(ssoText).toContain('*Push denied &lt;!channel&gt;* · duo / `duo_push_denied`');
    expect(ssoText).toContain('team *identity*');
    expect(sso.message.blocks.some((b) => b.type === 'actions')).toBe(false);
    // Rule without a name: its id; low raised to medium by s2; the suricata s1, not okta's.
    expect(ids.message.text).toBe('[MEDIUM] ids-burst (dst_ip=93.184.216.34): 2 signals');
    const idsText = mrkdwnStrings(ids.message);
    expect(idsText).toContain('`10.0.0.5` → `93.184.216.34:80`');
    expect(JSON.stringify(ids.message)).not.toContain('wrong signal');
  });

  it('prints a readable listing with a Block Kit Builder link that opens the same blocks', () => {
    expect(listing.code).toBe(0);
    const cards = JSON.parse(json.stdout) as Card[];
    expect(listing.stdout).toContain('2 alert card(s)');
    expect(listing.stdout).toContain('2024-05-01T09:00:00.000Z  sso-then-duo  username=alice  4 signals  until 2024-05-01T13:00:00.000Z');
    const links = [...listing.stdout.matchAll(/https:\/\/app\.slack\.com\/block-kit-builder#(\S+)/g)].map((m) => JSON.parse(decodeURIComponent(m[1]!)) as unknown);
    expect(links).toEqual(cards.map((c) => ({ blocks: c.message.blocks })));
  });

  it('reports bad rules and bad lines as simulate does, with exit code 1', async () => {
    const cases = [
      ['--rules', file('bad-rules.yaml'), '--signals', file('signals.jsonl')],
      ['--rules', file('rules.yaml'), '--signals', file('bad-signals.jsonl')],
      ['--rules', file('missing.yaml'), '--signals', file('signals.jsonl')],
    ];
    // Each run starts a process that compiles the sources: run them side by side.
    const runs = await Promise.all(cases.flatMap((args) => [runTaser(['preview', ...args], {}), runTaser(['simulate', ...args], {})]));
    for (let i = 0; i < cases.length; i++) {
      const [preview, simulate] = [runs[2 * i]!, runs[2 * i + 1]!];
      expect(preview.code).toBe(1);
      expect(simulate.code).toBe(1);
      expect(preview.stdout).toBe('');
      expect(preview.stderr).not.toBe('');
      expect(preview.stderr).toBe(simulate.stderr.replaceAll('taser simulate:', 'taser preview:'));
    }
    expect(runs[0]!.stderr).toContain('rule "broken"');
    expect(runs[2]!.stderr).toContain('bad-signals.jsonl line 2: occurredAt: must be an ISO-8601 timestamp');
    expect(runs[2]!.stderr).toContain('bad-signals.jsonl line 3: not JSON');
  }, 120_000);
});
