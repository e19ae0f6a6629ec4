import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCKS_DIR } from '../app/paths.js';
import { loadTemplates } from '../blocks/templates.js';
import type { Signal } from '../signals/signal.js';
import { allStrings, blockKitProblems, liveMentions, mrkdwnStrings } from '../../test/support/block-kit-check.js';
import { rankArtifacts } from './artifacts.js';
import { alertCardData, alertCardTemplate, CARD_TEMPLATES, renderAlertCard, type AlertCardInput } from './card.js';

const templates = loadTemplates(BLOCKS_DIR, { routes: { templateDirs: [] } as never, plugins: [] });
const KINDS = [undefined, 'identity', 'endpoint', 'network'] as const;

function signal(overrides: Partial<Signal> = {}): Signal {
  return {
    id: 's1',
    source: 'okta',
    type: 'sso_login_new_location',
    occurredAt: '2024-05-01T10:00:00Z',
    severity: 'medium',
    title: 'User login from a new location',
    artifacts: { username: 'alice', src_ip: '81.2.69.144', country: 'Canada' },
    ...overrides,
  };
}

function card(overrides: Partial<AlertCardInput['alert']> = {}, signals: Signal[] = [signal()], buttons: AlertCardInput['buttons'] = []): AlertCardInput {
  return {
    alert: {
      id: 'a1',
      ruleId: 'sso-then-duo',
      ruleName: 'SSO from a new location, then Duo denied',
      group: { username: 'alice' },
      severity: 'high',
      status: 'open',
      firstSeen: '2024-05-01T10:00:00Z',
      lastSeen: '2024-05-01T10:05:00Z',
      signalCount: signals.length,
      ...overrides,
    },
    signals,
    buttons,
  };
}

/** Renders and checks everything that must hold for any card: valid JSON, every limit, no live mention. */
function renderChecked(input: AlertCardInput, allowedMentions: string[] = []) {
  const out = renderAlertCard(templates, input);
  const json = JSON.stringify(out);
  expect(JSON.parse(json)).toEqual(out);
  expect(blockKitProblems(out)).toEqual([]);
  expect(liveMentions(out, allowedMentions)).toEqual([]);
  expect(out.text).not.toMatch(/\n/);
  return { out, json, strings: allStrings(out.blocks) };
}

/** The same hostile value in every field a signal source, a rule author or a user can influence. */
function everywhere(value: string, template?: string): AlertCardInput {
  const artifacts = { [value]: value, username: value, email: value, hostname: value, src_ip: value, dst_ip: value, process: value, cmdline: value, sha256: value, signature: value, geo: value };
  return card(
    { ruleName: value, template, group: { [value]: value }, team: value, status: 'closed', closed: { by: value, at: '2024-05-01T11:00:00Z', reason: value } },
    [signal({ id: 'x1', source: value, type: value, title: value, artifacts }), signal({ id: 'x2', title: value, artifacts })],
    [{ text: value, actionId: 'alerts:ack', value: value.slice(0, 2000) }],
  );
}

describe('alert card template choice', () => {
  it.each([
    [undefined, 'alert-card'],
    ['identity', 'alert-identity'],
    ['endpoint', 'alert-endpoint'],
    ['network', 'alert-network'],
    ['alert-network', 'alert-network'],
    ['something-else', 'alert-card'],
  ])('template %s renders with %s', (template, name) => {
    expect(alertCardTemplate(card({ template }))).toBe(name);
  });

  it.each(CARD_TEMPLATES)('%s renders its example data within the limits', (name) => {
    const example = JSON.parse(readFileSync(join(BLOCKS_DIR, `${name}.example.json`), 'utf8')) as unknown;
    const out = templates.render(name, example);
    expect(blockKitProblems(out)).toEqual([]);
    expect(out.blocks[0]).toMatchObject({ type: 'header' });
  });
});

describe('what each kind of card shows', () => {
  it('identity: user, source IP and location, and the rest of the card', () => {
    const input = card({ template: 'identity', team: 'identity', signalCount: 3 }, [
      signal({ id: '1', occurredAt: '2024-05-01T10:00:00Z', artifacts: { user: 'Alice', src_ip: '81.2.69.144', city: 'Toronto', country: 'Canada' } }),
      signal({ id: '2', source: 'duo', type: 'duo_push_denied', title: 'Push denied', occurredAt: '2024-05-01T10:05:00Z', severity: 'high', artifacts: { username: 'alice', src_ip: '89.160.20.156', app: 'VPN' } }),
    ]);
    const { out, strings } = renderChecked(input);
    expect(out.text).toBe('[HIGH] SSO from a new location, then Duo denied (username=alice): 3 signals');
    expect(strings).toContain(':large_orange_circle: SSO from a new location, then Duo denied');
    expect(strings).toContain('*User*\n`Alice`');
    expect(strings).toContain('*Location*\n`Toronto, Canada`');
    // The most frequent source IP is one of the two (tie: first seen); the other is among the artifacts.
    expect(strings).toContain('*Source IP*\n`81.2.69.144`');
    expect(strings).toContain('*src_ip*\n`89.160.20.156`');
    expect(strings).toContain('*app*\n`VPN`');
    expect(strings.some((s) => s.startsWith('First seen <!date^1714557600^'))).toBe(true);
    expect(strings.some((s) => s.startsWith('Last seen <!date^1714557900^'))).toBe(true);
    expect(strings).toContain('*Push denied* · duo / `duo_push_denied`');
    expect(strings).toContain('_and 1 more_');
    expect(strings).toContain('team *identity*');
    expect(strings).toContain(':rotating_light: *Open*');
  });

  it('identity: address and place come from the new-location login, named as the sources name them', () => {
    const input = card({ template: 'identity', signalCount: 3 }, [
      signal({ id: 'n', source: 'okta', type: 'sso_login_new_location', occurredAt: '2024-05-01T10:00:00Z', artifacts: { username: 'alice', src_ip: '81.2.69.144', geo_city: 'Lyon', geo_state: 'Auvergne-Rhone-Alpes', geo_country: 'France' } }),
      signal({ id: 'd', source: 'duo', type: 'duo_push_denied', occurredAt: '2024-05-01T10:05:00Z', artifacts: { username: 'alice', src_ip: '89.160.20.156', geo_city: 'Linkoping', geo_country: 'Sweden' } }),
      signal({ id: 'l', source: 'okta', type: 'sso_login_success', occurredAt: '2024-05-01T10:09:00Z', artifacts: { username: 'alice', src_ip: '10.0.0.7' } }),
    ]);
    const { strings } = renderChecked(input);
    expect(strings).toContain('*Source IP*\n`81.2.69.144`');
    expect(strings).toContain('*Location*\n`Lyon, Auvergne-Rhone-Alpes, France`');
    // The other places and addresses are still on the card, among the artifacts.
    expect(strings).toContain('*country*\n`Sweden`');
    expect(alertCardData(input).identity).toEqual({ user: 'alice', srcIp: '81.2.69.144', geo: 'Lyon, Auvergne-Rhone-Alpes, France' });

    // Without a new-location signal: the newest signal that has an address or a place, never a mix of two.
    const plain = card({ template: 'identity' }, [
      signal({ id: 'a', type: 'login', occurredAt: '2024-05-01T10:00:00Z', artifacts: { src_ip: '81.2.69.144', geo_country: 'France' } }),
      signal({ id: 'b', type: 'login', occurredAt: '2024-05-01T10:01:00Z', artifacts: { src_ip: '89.160.20.156' } }),
    ]);
    expect(alertCardData(plain).identity).toMatchObject({ srcIp: '89.160.20.156', geo: null });
  });

  it('endpoint: host, user, process, command line and hashes', () => {
    const sha = '9785001b0dcf755eddb8af294a373c0b87b2498660f724e76c4d53f9c217c7a3';
    const { strings } = renderChecked(
      card({ template: 'endpoint', group: { hostname: 'ww-20002' } }, [
        signal({ source: 'carbonblack', type: 'edr_alert', artifacts: { host: 'WW-20002', username: 'administrator', process_name: 'powershell.exe', command_line: 'powershell -enc AAA', sha256: sha, md5: '2e5a8590cf6848968fc23de3fa1e25f1' } }),
      ]),
    );
    expect(strings).toContain('*Host*\n`WW-20002`');
    expect(strings).toContain('*Process*\n`powershell.exe`');
    expect(strings).toContain(`*SHA256*\n\`${sha}\``);
    expect(strings).toContain('*MD5*\n`2e5a8590cf6848968fc23de3fa1e25f1`');
    expect(strings).toContain('*Command line*\n`powershell -enc AAA`');
    // Shown above, so not repeated among the artifacts (and there is nothing else to show).
    expect(strings).not.toContain('*Most useful artifacts*');
  });

  it('network: source -> destination with ports, signature and protocol', () => {
    const { strings } = renderChecked(
      card({ template: 'network', group: { dst_ip: '192.168.100.237' } }, [
        signal({ source: 'suricata', type: 'ids_alert', title: 'ET ATTACK_RESPONSE LeftHook', artifacts: { src_ip: '142.11.240.191', src_port: 35361, dest_ip: '192.168.100.237', dest_port: 49175, proto: 'TCP' } }),
      ]),
    );
    expect(strings).toContain('`142.11.240.191:35361` → `192.168.100.237:49175`');
    expect(strings).toContain('*Signature*\n`ET ATTACK_RESPONSE LeftHook`');
    expect(strings).toContain('*Protocol*\n`TCP`');
  });

  it('generic: the most useful artifacts, ranked, without repeating the group values', () => {
    const { out } = renderChecked(
      card({ group: { username: 'alice' } }, [signal({ artifacts: { zeta: 'z', url: 'https://x.test/a', username: 'Alice', hostname: 'h1', sha256: 'abc' } })]),
    );
    const section = out.blocks.find((b) => JSON.stringify(b).includes('*Most useful artifacts*')) as { fields: { text: string }[] };
    expect(section.fields.map((f) => f.text)).toEqual(['*hostname*\n`h1`', '*url*\n`https://x.test/a`', '*sha256*\n`abc`', '*zeta*\n`z`']);
  });

  it('shows each status: who acknowledged, until when snoozed, who closed and why', () => {
    const ack = renderChecked(card({ status: 'acknowledged', acknowledged: { by: 'U024BE7LH', at: '2024-05-01T11:00:00Z' } }), ['<@U024BE7LH>']);
    expect(ack.strings).toContain(':eyes: *Acknowledged*');
    expect(ack.strings).toContain('by <@U024BE7LH>');
    expect(ack.out.text).toMatch(/, acknowledged$/);
    const snoozed = renderChecked(card({ status: 'snoozed', snoozedUntil: '2024-05-01T15:00:00Z' }));
    expect(snoozed.strings.some((s) => s.startsWith('until <!date^1714575600^'))).toBe(true);
    const closed = renderChecked(card({ status: 'closed', closed: { by: 'U024BE7LH', at: '2024-05-01T12:00:00Z', reason: 'false positive:\npen test' } }), ['<@U024BE7LH>']);
    expect(closed.strings).toContain(':white_check_mark: *Closed*');
    expect(closed.strings).toContain('reason: false positive: pen test');
    const failed = renderChecked(card({ deliveryFailed: true }));
    expect(failed.json).toContain(':warning: Delivering this alert failed');
  });

  it('adds an actions block only when there are buttons, and leaves out (visibly) the ones Slack would refuse', () => {
    expect(renderChecked(card()).out.blocks.some((b) => b.type === 'actions')).toBe(false);
    const { out, json } = renderChecked(
      card({}, [signal()], [
        { text: 'Acknowledge', actionId: 'alerts:ack', value: 'a1', style: 'primary' },
        { text: 'Details', actionId: 'alerts:details', url: 'https://tool.test/a1' },
        { text: 'Twice', actionId: 'alerts:ack' },
        { text: 'Too big', actionId: 'alerts:big', value: 'v'.repeat(2001) },
        { text: 'Bad link', actionId: 'alerts:js', url: 'javascript:alert(1)' },
      ]),
    );
    const actions = out.blocks.find((b) => b.type === 'actions') as unknown as { elements: Record<string, unknown>[] };
    expect(actions.elements).toEqual([
      { type: 'button', text: { type: 'plain_text', text: 'Acknowledge', emoji: true }, action_id: 'alerts:ack', value: 'a1', style: 'primary' },
      { type: 'button', text: { type: 'plain_text', text: 'Details', emoji: true }, action_id: 'alerts:details', url: 'https://tool.test/a1' },
    ]);
    expect(json).toContain(':warning: 3 button(s) left out');
  });

  it('renders with every optional field missing', () => {
    const bare: AlertCardInput = {
      alert: { id: 'a', ruleId: 'r', group: {}, severity: 'info', status: 'open', firstSeen: 'not a date', lastSeen: '2024-05-01T10:00:00Z', signalCount: 0 },
      signals: [],
    };
    for (const template of KINDS) {
      const { out, strings } = renderChecked({ ...bare, alert: { ...bare.alert, template } });
      expect(out.text).toBe('[INFO] r: 0 signals');
      expect(strings).toContain('First seen not a date');
      expect(JSON.stringify(out)).not.toContain('Related signals');
    }
    const identity = renderChecked({ ...bare, alert: { ...bare.alert, template: 'identity', status: 'acknowledged' } });
    expect(identity.strings).toContain('*User*\n—');
    expect(identity.strings).toContain(':eyes: *Acknowledged*');
  });
});

describe('rendering that cannot produce a bad message', () => {
  const hostile: [string, string][] = [
    ['quotes and backslashes', 'say "hi" \\ \'there\''],
    ['newlines and tabs', 'line1\nline2\r\n\tend'],
    ['markup characters', '<b>bold</b> & <https://evil.test|click> a > b'],
    ['a channel-wide ping', '<!channel> <!here> <!everyone> <!subteam^S123>'],
    ['user and channel mentions', '<@U123> <@W999|x> <#C123>'],
    ['mrkdwn formatting characters', '*bold* _it_ ~strike~ `code` ```block``` >quote'],
    ['emoji and ZWJ sequences', '👩‍💻 🇳🇱 👍🏽 :skull: 👨‍👩‍👧‍👦'],
    ['right-to-left text', 'مرحبا بالعالم שלום עולם \u202Eevil\u202C'],
  ];

  for (const template of KINDS) {
    it.each(hostile)(`${template ?? 'generic'} card: %s in every field stays inert and valid`, (_label, value) => {
      const { out, strings } = renderChecked(everywhere(value, template));
      // The value is visible (escaped where mrkdwn), not dropped.
      const shown = value.replace(/\s+/g, ' ').trim().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, 'ˋ');
      expect(strings.some((s) => s.includes(shown))).toBe(true);
      // Live syntax from user data survives only in plain_text (the header, button text) and the button value,
      // which Slack does not parse.
      expect(mrkdwnStrings(out).join('\n')).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U123>|<#C123>|<https:\/\/evil|<b>/);
    });
  }

  it('keeps the attacker out of the mention an acknowledgement would make', () => {
    const { strings } = renderChecked(card({ status: 'acknowledged', acknowledged: { by: '<!channel>', at: 'x' } }));
    expect(strings).toContain('by &lt;!channel&gt;');
  });

  it.each(KINDS)('fits 10,000-character values in every field (%s)', (template) => {
    const huge = 'x'.repeat(5_000) + '<!channel>' + 'y'.repeat(5_000);
    const input = everywhere(huge, template);
    input.alert.group = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`${i}${huge}`, huge]));
    const { out, strings } = renderChecked(input);
    expect(out.text.length).toBeLessThanOrEqual(300);
    expect(out.text.endsWith('…')).toBe(true);
    expect((out.blocks[0] as { text: { text: string } }).text.text.endsWith('…')).toBe(true);
    expect(strings.some((s) => s.includes('x'.repeat(100) + '…'))).toBe(true);
  });

  it('shows 500 artifacts as a few ranked fields and says how many more there are', () => {
    const artifacts = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field_${String(i).padStart(3, '0')}`, `value ${i} <!channel>`]));
    const { strings } = renderChecked(card({}, [signal({ artifacts: { ...artifacts, username: ['alice', ...Array.from({ length: 20 }, (_, i) => `user${i}`)] } })]));
    expect(strings).toContain('and 493 more artifact field(s)');
    expect(strings).toContain('*username*\n`user0` `user1` `user2` `user3` `user4` +15 more');
    expect(strings).toContain('*field_000*\n`value 0 &lt;!channel&gt;`');
  });

  it('shows 1000 signals as the five newest and "and 995 more"', () => {
    const signals = Array.from({ length: 1000 }, (_, i) =>
      signal({ id: `s${i}`, title: `event ${i}`, occurredAt: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString(), artifacts: { username: 'alice', src_ip: `10.0.${i >> 8}.${i & 255}` } }),
    );
    for (const template of KINDS) {
      const { strings } = renderChecked(card({ template, signalCount: 1000 }, signals));
      const titles = strings.filter((s) => /^\*event \d+\*/.test(s)).map((s) => s.split('*')[1]);
      expect(titles).toEqual(['event 999', 'event 998', 'event 997', 'event 996', 'event 995']);
      expect(strings).toContain('_and 995 more_');
    }
  });

  it('counts the alert\'s signals, not only those passed in, for "and N more"', () => {
    const { strings } = renderChecked(card({ signalCount: 40 }, Array.from({ length: 20 }, (_, i) => signal({ id: `s${i}` }))));
    expect(strings).toContain('_and 35 more_');
  });

  it('links only to http(s) sources', () => {
    const { json } = renderChecked(card({}, [signal({ link: 'javascript:alert(1)' }), signal({ id: 's2', link: 'https://okta.test/e/1' })]));
    expect(json).not.toContain('javascript:');
    expect(json).toContain('<https://okta.test/e/1|details>');
  });
});

describe('rankArtifacts', () => {
  it('folds field aliases, de-duplicates values by their normalized form and ranks by the kind of card', () => {
    const signals = [
      signal({ artifacts: { User: 'Alice', 'Source IP': '010.001.002.003', sha256: 'AB', dst_ip: '10.9.9.9' } }),
      signal({ id: 's2', artifacts: { username: [' alice', 'bob', 'bob '], client_ip: '10.1.2.3', sha256: 'ab' } }),
    ];
    const generic = rankArtifacts(signals, 'generic');
    expect(generic.map((a) => a.field)).toEqual(['username', 'src_ip', 'dst_ip', 'sha256']);
    expect(generic[0]).toEqual({ field: 'username', values: ['Alice', 'bob'], signals: 2 });
    expect(generic[1]!.values).toEqual(['010.001.002.003']);
    expect(rankArtifacts(signals, 'network').map((a) => a.field)).toEqual(['src_ip', 'dst_ip', 'username', 'sha256']);
    expect(rankArtifacts(signals, 'endpoint').map((a) => a.field)).toEqual(['username', 'sha256', 'src_ip', 'dst_ip']);
  });

  it('ranks the fields no preference names by how many signals carry them', () => {
    const signals = [signal({ artifacts: { rare: 'a', common: 'b' } }), signal({ id: 's2', artifacts: { common: 'c' } })];
    expect(rankArtifacts(signals, 'generic').map((a) => a.field)).toEqual(['common', 'rare']);
  });
});

describe('alertCardData', () => {
  it('gives the templates plain values and leaves escaping to them', () => {
    const data = alertCardData(card({ ruleName: '<!channel> rule' }));
    expect(data.title).toBe('<!channel> rule');
    expect(data.severity).toEqual({ key: 'high', emoji: ':large_orange_circle:', label: 'HIGH' });
    expect(data.group).toEqual([{ field: 'username', value: 'alice' }]);
  });
});

describe('confirmation lines', () => {
  it.each(KINDS)('%s card shows the latest three, naming people (not taser), with hostile notes escaped', (template) => {
    const confirmations = [
      { note: 'Confirmation asked of alice', by: 'taser', at: '2024-05-01T10:06:00Z' },
      { note: 'User answered: Not sure', by: 'U0ALICE01', at: '2024-05-01T10:07:00Z' },
      { note: 'Asking the manager', by: 'U0ALICE01', at: '2024-05-01T10:07:01Z' },
      { note: 'Manager answered: Not legit <!channel>', by: 'U0BOB0001', at: '2024-05-01T10:42:00Z' },
    ];
    const { strings } = renderChecked(card({ template, confirmations }), ['<@U0ALICE01>', '<@U0BOB0001>']);
    const lines = strings.filter((s) => s.startsWith(':speech_balloon:'));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^:speech_balloon: \*User answered: Not sure\* \(<@U0ALICE01>, <!date\^\d+\^/);
    expect(lines[2]).toContain('Not legit &lt;!channel&gt;');
    expect(lines[2]).toContain('(<@U0BOB0001>, <!date^');
    expect(renderChecked(card({ template, confirmations: confirmations.slice(0, 1) })).strings.find((s) => s.startsWith(':speech_balloon:'))).toMatch(/^:speech_balloon: \*Confirmation asked of alice\* \(<!date\^/);
  });
});
