// The simulator, one behaviour of shared/correlation/SEMANTICS.md per test, through signal files as
// `taser simulate` reads them.
import { afterAll, describe, expect, it } from 'vitest';
import { simulate, SignalFileError, writeSimulationJson, runSimulation, formatEventTime } from './simulator.js';
import { parseRules } from './rule.js';
import type { Signal } from '../signals/signal.js';
import { TempDir, at, prng, shuffle, sig, simulateSignals } from '../../test/correlation/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

const run = (rules: unknown[], signals: (Signal | Record<string, unknown>)[], chunkSize?: number) => simulateSignals(dir, rules, signals, { chunkSize });
const ids = (result: { alerts: { signals: string[] }[] }) => result.alerts.map((a) => a.signals);

const duoSso = {
  id: 'duo-sso',
  parts: [
    { match: { type: 'duo_push_denied' }, count: 2 },
    { match: { type: 'sso_login_new_location' }, count: 1 },
  ],
  window: '4h',
  groupBy: ['username'],
};

describe('the worked example', () => {
  const signals = [
    sig('d1', 'duo_push_denied', at('09:00'), { username: 'alice' }),
    sig('b1', 'duo_push_denied', at('09:30'), { username: 'bob' }),
    sig('d2', 'duo_push_denied', at('10:00'), { username: 'Alice' }),
    sig('b2', 'sso_login_new_location', at('11:00'), { username: 'bob' }),
    sig('s1', 'sso_login_new_location', at('12:59'), { username: 'ALICE' }),
    sig('d3', 'duo_push_denied', at('13:00'), { username: 'alice' }),
    sig('d4', 'duo_push_denied', at('18:00'), { username: 'alice' }),
  ];

  it('fires at 12:59 with all three, appends 13:00, closes at 18:00 without a new alert, and keeps bob apart', async () => {
    const result = await run([duoSso], signals);
    expect(result.alerts).toEqual([
      { rule: 'duo-sso', group: { username: 'alice' }, signals: ['d1', 'd2', 's1', 'd3'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T13:00:00.000Z' },
    ]);
    expect(result.stats).toMatchObject({ lines: 7, signals: 7, duplicates: 0, alerts: 1, appended: 1 });
  });

  it('fires for bob on his own once he has his two pushes', async () => {
    const result = await run([duoSso], [...signals, sig('b3', 'duo_push_denied', at('12:00'), { username: ' BOB ' })]);
    expect(result.alerts.map((a) => [a.group, a.signals])).toEqual([
      [{ username: 'alice' }, ['d1', 'd2', 's1', 'd3']],
      [{ username: 'bob' }, ['b1', 'b2', 'b3']],
    ]);
  });

  it('does not fire when the third signal comes one minute after the window closed on the first', async () => {
    // 09:00 + 4h = 13:00: an SSO login at 13:01 sees only the 10:00 push.
    const result = await run([duoSso], [signals[0]!, signals[2]!, sig('s1', 'sso_login_new_location', at('13:01'), { username: 'alice' })]);
    expect(result.alerts).toEqual([]);
  });
});

describe('window', () => {
  const pair = { id: 'pair', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: [] };

  it('counts signals exactly one window apart (closed interval)', async () => {
    const result = await run([pair], [sig('a', 'x', '2024-05-01T09:00:00Z'), sig('b', 'x', '2024-05-01T10:00:00Z')]);
    expect(ids(result)).toEqual([['a', 'b']]);
  });

  it('does not count signals one microsecond more than a window apart', async () => {
    const result = await run([pair], [sig('a', 'x', '2024-05-01T09:00:00.000000Z'), sig('b', 'x', '2024-05-01T10:00:00.000001Z')]);
    expect(result.alerts).toEqual([]);
  });

  it('measures windows between instants, whatever offsets the timestamps are written in', async () => {
    // 11:00+02:00 is 09:00Z; 05:00-05:00 is 10:00Z: exactly one hour apart.
    const result = await run([pair], [sig('a', 'x', '2024-05-01T11:00:00+02:00'), sig('b', 'x', '2024-05-01T05:00:00-05:00')]);
    expect(result.alerts).toEqual([{ rule: 'pair', group: {}, signals: ['a', 'b'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T10:00:00.000Z' }]);
    const late = await run([pair], [sig('a', 'x', '2024-05-01T11:00:00+02:00'), sig('b', 'x', '2024-05-01T05:00:00.000001-05:00')]);
    expect(late.alerts).toEqual([]);
  });

  it('takes a window given in milliseconds', async () => {
    const rule = { ...pair, window: 90_000 };
    expect(ids(await run([rule], [sig('a', 'x', at('09:00:00')), sig('b', 'x', at('09:01:30'))]))).toEqual([['a', 'b']]);
    expect(ids(await run([rule], [sig('a', 'x', at('09:00:00')), sig('b', 'x', at('09:01:31'))]))).toEqual([]);
  });

  it('holds every free signal of the window that matches a part, beyond the counts', async () => {
    const rule = { id: 'r', parts: [{ match: { type: 'x' }, count: 1 }, { match: { type: 'y' }, count: 1 }], window: '1h', groupBy: [] };
    const result = await run([rule], [sig('x1', 'x', at('09:00')), sig('x2', 'x', at('09:10')), sig('x3', 'x', at('09:20')), sig('y1', 'y', at('09:30'))]);
    expect(ids(result)).toEqual([['x1', 'x2', 'x3', 'y1']]);
  });

  it('leaves out free signals older than the window when it fires', async () => {
    const rule = { id: 'r', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: [] };
    const result = await run([rule], [sig('old', 'x', at('07:00')), sig('a', 'x', at('09:00')), sig('b', 'x', at('09:30'))]);
    expect(ids(result)).toEqual([['a', 'b']]);
  });
});

describe('keepAlive and maxDuration', () => {
  const one = (extra: Record<string, unknown>) => ({ id: 'one', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: [], ...extra });

  it('keeps an alert alive for one window after its last signal by default', async () => {
    const result = await run([one({})], [sig('a', 'x', at('09:00')), sig('b', 'x', at('10:00')), sig('c', 'x', at('11:00')), sig('d', 'x', at('12:00:00.000001'))]);
    // b at exactly lastSeen + 1h is appended, and so on; d is 1 us too late and opens a new alert.
    expect(ids(result)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('uses an explicit keepAlive instead of the window', async () => {
    const result = await run([one({ keepAlive: '15m' })], [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:15')), sig('c', 'x', at('09:31'))]);
    expect(ids(result)).toEqual([['a', 'b'], ['c']]);
    const longer = await run([one({ keepAlive: '2h' })], [sig('a', 'x', at('09:00')), sig('b', 'x', at('11:00')), sig('c', 'x', at('13:01'))]);
    expect(ids(longer)).toEqual([['a', 'b'], ['c']]);
  });

  it('caps an alert at maxDuration from its firstSeen (inclusive), even while keepAlive would extend it', async () => {
    const result = await run(
      [one({ keepAlive: '1h', maxDuration: '90m' })],
      [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:50')), sig('c', 'x', at('10:30')), sig('d', 'x', at('10:31')), sig('e', 'x', at('11:00'))],
    );
    // c: 10:30 - 09:00 = 90m, still in; d: 91m, closes it and opens the next alert, which takes e.
    expect(ids(result)).toEqual([['a', 'b', 'c'], ['d', 'e']]);
  });

  it('has no cap without maxDuration', async () => {
    const signals = Array.from({ length: 30 }, (_, i) => sig(`s${i}`, 'x', `2024-05-0${1 + Math.floor(i / 24)}T${String(i % 24).padStart(2, '0')}:00:00Z`));
    expect(ids(await run([one({})], signals))).toEqual([signals.map((s) => s.id)]);
  });

  it('closes an alert and leaves the signal free (no fire) when the free signals do not satisfy the rule', async () => {
    const rule = { id: 'r', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: [] };
    const result = await run([rule], [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:10')), sig('c', 'x', at('11:00')), sig('d', 'x', at('11:30'))]);
    // c closes the first alert and is free; d makes two free signals in its window: a second alert.
    expect(ids(result)).toEqual([['a', 'b'], ['c', 'd']]);
  });
});

describe('duplicates', () => {
  const one = { id: 'one', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: ['user'] };
  const two = { id: 'two', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: ['user'] };

  it('ignores a repeated (source, id): it is never counted twice towards a count', async () => {
    const a = sig('a', 'x', at('09:00'), { user: 'alice' });
    const result = await run([two], [a, a, { ...a }]);
    expect(result.alerts).toEqual([]);
    expect(result.stats).toMatchObject({ lines: 3, signals: 1, duplicates: 2 });
  });

  it('ignores a repeated (source, id) with other content: never re-attached to an alert or to another group', async () => {
    const first = sig('a', 'x', at('09:00'), { user: 'alice' });
    const result = await run([one], [first, sig('a', 'x', at('09:05'), { user: 'alice' }), sig('a', 'x', at('09:06'), { user: 'bob' })]);
    expect(result.alerts).toEqual([{ rule: 'one', group: { user: 'alice' }, signals: ['a'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T09:00:00.000Z' }]);
  });

  it('compares the source of (source, id) exactly, as the signal store does ("Okta" is not "okta")', async () => {
    const result = await run([two], [sig('a', 'x', at('09:00'), { user: 'alice' }, { source: 'okta' }), sig('a', 'x', at('09:01'), { user: 'alice' }, { source: 'Okta' })]);
    expect(result.stats).toMatchObject({ signals: 2, duplicates: 0 });
    expect(ids(result)).toEqual([['a', 'a']]);
  });

  it('keeps the same id from two sources apart: (source, id) is the identity', async () => {
    const result = await run([two], [sig('a', 'x', at('09:00'), { user: 'alice' }, { source: 'okta' }), sig('a', 'x', at('09:01'), { user: 'alice' }, { source: 'duo' })]);
    expect(ids(result)).toEqual([['a', 'a']]);
  });

  it('"first" is the first line of the file, even when a later line has the earlier event time', async () => {
    // The line that comes first in the file is at 11:00 (outside the window of b); the duplicate written
    // after it says 09:30 (inside). Input order decides which one is the signal: the 11:00 one.
    const lines = [sig('a', 'x', at('11:00'), { user: 'alice' }), sig('b', 'x', at('09:00'), { user: 'alice' }), sig('a', 'x', at('09:30'), { user: 'alice' })];
    const result = await run([two], lines);
    expect(result.alerts).toEqual([]);
    expect(result.stats).toMatchObject({ signals: 2, duplicates: 1 });
    // The other way round, the 09:30 line is first and pairs with b.
    const swapped = await run([two], [lines[2]!, lines[1]!, lines[0]!]);
    expect(swapped.alerts).toEqual([{ rule: 'two', group: { user: 'alice' }, signals: ['b', 'a'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T09:30:00.000Z' }]);
  });

  it('de-duplicates across spilled sort chunks the same way', async () => {
    const lines = [sig('a', 'x', at('11:00'), { user: 'alice' }), sig('b', 'x', at('09:00'), { user: 'alice' }), sig('c', 'x', at('12:00'), { user: 'alice' }), sig('a', 'x', at('09:30'), { user: 'alice' })];
    const inMemory = await run([two], lines);
    const spilled = await run([two], lines, 1);
    expect(spilled).toEqual(inMemory);
    expect(ids(spilled)).toEqual([['a', 'c']]);
  });
});

describe('event-time order', () => {
  const ordered = { id: 'seq', parts: [{ match: { type: 'a' }, count: 1 }, { match: { type: 'b' }, count: 1 }], window: '1h', groupBy: [], ordered: true };

  it('replays lines in event-time order, whatever their order in the file (a late line)', async () => {
    const result = await run([duoSso], [
      sig('s1', 'sso_login_new_location', at('12:59'), { username: 'alice' }),
      sig('d2', 'duo_push_denied', at('10:00'), { username: 'alice' }),
      sig('d3', 'duo_push_denied', at('13:00'), { username: 'alice' }),
      sig('d1', 'duo_push_denied', at('09:00'), { username: 'alice' }),
    ]);
    expect(ids(result)).toEqual([['d1', 'd2', 's1', 'd3']]);
  });

  it('breaks ties in event time by input order (this also orders an `ordered` rule)', async () => {
    const t = at('09:00');
    expect(ids(await run([ordered], [sig('x', 'a', t), sig('y', 'b', t)]))).toEqual([['x', 'y']]);
    // b written first: at the same instant it precedes a, and a-then-b has no valid order.
    expect(ids(await run([ordered], [sig('y', 'b', t), sig('x', 'a', t)]))).toEqual([]);
  });

  it('orders by the exact instant, microseconds and offsets included', async () => {
    const result = await run([ordered], [sig('y', 'b', '2024-05-01T11:00:00.000002+02:00'), sig('x', 'a', '2024-05-01T09:00:00.000001Z')]);
    expect(result.alerts).toEqual([{ rule: 'seq', group: {}, signals: ['x', 'y'], firstSeen: '2024-05-01T09:00:00.000001Z', lastSeen: '2024-05-01T09:00:00.000002Z' }]);
  });

  it('gives the same output for every shuffle of the file (seeded permutations)', async () => {
    const random = prng(42);
    const rules = [duoSso, { id: 'any3', parts: [{ match: {}, count: 3 }], window: '30m', groupBy: ['host'] }, { ...ordered, id: 'seq', parts: [{ match: { type: 'duo_push_denied' }, count: 1 }, { match: { type: 'sso_login_new_location' }, count: 1 }], groupBy: ['username'] }];
    const signals: Signal[] = [];
    for (let i = 0; i < 80; i++) {
      // Distinct instants (ties would legitimately follow the file order).
      const t = new Date(Date.parse('2024-05-01T08:00:00Z') + i * 7 * 60_000 + Math.floor(random() * 400) * 1000).toISOString();
      signals.push(sig(`s${i}`, random() < 0.6 ? 'duo_push_denied' : 'sso_login_new_location', t, { username: random() < 0.5 ? 'alice' : ['Bob', 'carol'], host: `h${Math.floor(random() * 3)}` }));
    }
    signals.push({ ...signals[5]! }, { ...signals[17]! }); // exact duplicate lines
    const reference = await run(rules, signals);
    expect(reference.alerts.length).toBeGreaterThan(5);
    for (let p = 0; p < 12; p++) {
      const shuffled = shuffle(signals, random);
      expect(await run(rules, shuffled, p % 2 ? 7 : undefined)).toEqual(reference);
    }
  });
});

describe('groups', () => {
  const one = (groupBy: string[]) => ({ id: 'g', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy });
  const two = (groupBy: string[]) => ({ id: 'g', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy });

  it('puts all signals in one group with an empty groupBy', async () => {
    const result = await run([two([])], [sig('a', 'x', at('09:00'), { user: 'alice' }), sig('b', 'x', at('09:10'))]);
    expect(result.alerts).toEqual([{ rule: 'g', group: {}, signals: ['a', 'b'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T09:10:00.000Z' }]);
  });

  it('leaves out a signal that lacks a groupBy field, or has it empty ("" or [])', async () => {
    const result = await run([one(['user'])], [
      sig('none', 'x', at('09:00')),
      sig('empty', 'x', at('09:01'), { user: '' }),
      sig('blank', 'x', at('09:02'), { user: '   ' }),
      sig('emptyList', 'x', at('09:03'), { user: [] }),
      sig('blankList', 'x', at('09:04'), { user: ['', ' '] }),
      sig('other', 'x', at('09:05'), { host: 'h1' }),
    ]);
    expect(result.alerts).toEqual([]);
  });

  it('takes part once per combination of array values, duplicates inside an array collapsing', async () => {
    const result = await run([one(['user', 'host'])], [sig('a', 'x', at('09:00'), { user: ['Alice', 'alice ', 'bob'], host: ['h1', 'H1', 'h2'] })]);
    expect(result.alerts.map((a) => a.group)).toEqual([
      { user: 'alice', host: 'h1' },
      { user: 'alice', host: 'h2' },
      { user: 'bob', host: 'h1' },
      { user: 'bob', host: 'h2' },
    ]);
    expect(result.alerts.every((a) => a.signals.length === 1 && a.signals[0] === 'a')).toBe(true);
  });

  it('joins a group through one value of an array (the rest of the array empty)', async () => {
    const result = await run([two(['user'])], [sig('a', 'x', at('09:00'), { user: 'alice' }), sig('b', 'x', at('09:10'), { user: ['', 'ALICE'] })]);
    expect(result.alerts.map((a) => [a.group, a.signals])).toEqual([[{ user: 'alice' }, ['a', 'b']]]);
  });

  it('counts a signal whose array names two users towards both, once each', async () => {
    const result = await run([two(['user'])], [sig('both', 'x', at('09:00'), { user: ['alice', 'bob'] }), sig('a', 'x', at('09:10'), { user: 'alice' }), sig('b', 'x', at('09:20'), { user: 'bob' })]);
    expect(result.alerts.map((a) => [a.group, a.signals])).toEqual([
      [{ user: 'alice' }, ['both', 'a']],
      [{ user: 'bob' }, ['both', 'b']],
    ]);
  });

  it('keeps tuples apart whatever characters the values hold', async () => {
    const rule = { id: 'g', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: ['a', 'b'] };
    const result = await run([rule], [sig('p', 'x', at('09:00'), { a: 'x\u0001y', b: 'z' }), sig('q', 'x', at('09:01'), { a: 'x', b: 'y\u0001z' })]);
    expect(result.alerts).toEqual([]);
  });

  it('orders alerts of one rule with the same firstSeen by their group values', async () => {
    const rule = { id: 'g', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: ['user'] };
    const result = await run([rule], [sig('a', 'x', at('09:00'), { user: ['carol', 'alice', 'bob'] })]);
    expect(result.alerts.map((a) => a.group.user)).toEqual(['alice', 'bob', 'carol']);
  });

  it('groups on normalized values: trimmed, NFC, lower-cased; IPs canonical; numbers as strings', async () => {
    const rule = { id: 'g', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: ['user', 'ip', 'port'] };
    const pairs: [Signal['artifacts'], Signal['artifacts']][] = [
      [{ user: ' Alice', ip: '10.0.0.1', port: 443 }, { user: 'alice', ip: '010.000.000.001', port: '443' }],
      [{ user: 'Caf\u00e9', ip: '::ffff:10.0.0.1', port: 443 }, { user: 'CAFE\u0301', ip: '10.0.0.1', port: ' 443 ' }],
      [{ user: 'u', ip: '2001:DB8:0:0:0:0:0:1', port: 22 }, { user: 'U', ip: '2001:db8::0001', port: 22 }],
    ];
    for (const [a, b] of pairs) {
      const result = await run([rule], [sig('a', 'x', at('09:00'), a), sig('b', 'x', at('09:01'), b)]);
      expect(ids(result), JSON.stringify([a, b])).toEqual([['a', 'b']]);
    }
    const result = await run([rule], [sig('a', 'x', at('09:00'), pairs[2]![0]), sig('b', 'x', at('09:01'), pairs[2]![1])]);
    expect(result.alerts[0]!.group).toEqual({ user: 'u', ip: '2001:db8::1', port: '22' });
    const cafe = await run([rule], [sig('a', 'x', at('09:00'), pairs[1]![0]), sig('b', 'x', at('09:01'), pairs[1]![1])]);
    expect(cafe.alerts[0]!.group).toEqual({ user: 'caf\u00e9', ip: '10.0.0.1', port: '443' });
  });
});

describe('matching', () => {
  const single = (match: Record<string, unknown>) => ({ id: 'm', parts: [{ match, count: 1 }], window: '1h', groupBy: [] });
  const matched = async (match: Record<string, unknown>, signals: Signal[]) => (await run([single(match)], signals)).alerts.flatMap((a) => a.signals);

  it('matches `where` values after normalization (case, spaces, IPs, numbers)', async () => {
    const signals = [
      sig('a', 'x', at('09:00'), { user: ' ALICE ', ip: '::ffff:192.168.0.1', port: '443' }),
      sig('b', 'x', at('11:00'), { user: 'bob', ip: '192.168.0.1', port: 80 }),
    ];
    expect(await matched({ where: { user: 'Alice' } }, signals)).toEqual(['a']);
    expect(await matched({ where: { ip: '192.168.000.001' } }, signals)).toEqual(['a', 'b']);
    expect(await matched({ where: { port: 443 } }, signals)).toEqual(['a']);
    expect(await matched({ where: { port: ['80', 8080] } }, signals)).toEqual(['b']);
    expect(await matched({ where: { user: 'alice', port: 80 } }, signals)).toEqual([]);
    expect(await matched({ where: { missing: 'x' } }, signals)).toEqual([]);
  });

  it('matches `where` against any value of an array artifact', async () => {
    expect(await matched({ where: { user: 'bob' } }, [sig('a', 'x', at('09:00'), { user: ['alice', 'Bob'] })])).toEqual(['a']);
  });

  it('matches a signal as a whole: a `where` met by one array value lets the signal join every group of the array', async () => {
    // Matching is per signal (SEMANTICS.md), grouping per combination: bob's group gets the signal too.
    const rule = { id: 'w', parts: [{ match: { where: { user: 'alice' } }, count: 1 }], window: '1h', groupBy: ['user'] };
    const result = await run([rule], [sig('a', 'x', at('09:00'), { user: ['alice', 'bob'] })]);
    expect(result.alerts.map((a) => a.group)).toEqual([{ user: 'alice' }, { user: 'bob' }]);
  });

  it('takes type and source as one value or a list (any of), types compared as names', async () => {
    const signals = [
      sig('a', 'duo_push_denied', at('09:00'), {}, { source: 'duo' }),
      sig('b', 'Duo Push-Denied', at('11:00'), {}, { source: 'Okta' }),
      sig('c', 'vpn', at('13:00'), {}, { source: 'okta' }),
    ];
    expect(await matched({ type: 'duo push denied' }, signals)).toEqual(['a', 'b']);
    expect(await matched({ type: ['vpn', 'DUO_PUSH_DENIED'] }, signals)).toEqual(['a', 'b', 'c']);
    expect(await matched({ source: 'okta' }, signals)).toEqual(['b', 'c']);
    expect(await matched({ source: ['duo', 'nobody'] }, signals)).toEqual(['a']);
    expect(await matched({ type: 'vpn', source: 'duo' }, signals)).toEqual([]);
  });

  it('matches severity as one value or a list; a signal without severity matches no severity', async () => {
    const signals = [sig('a', 'x', at('09:00'), {}, { severity: 'high' }), sig('b', 'x', at('11:00')), sig('c', 'x', at('13:00'), {}, { severity: 'low' })];
    expect(await matched({ severity: 'high' }, signals)).toEqual(['a']);
    expect(await matched({ severity: ['low', 'high'] }, signals)).toEqual(['a', 'c']);
    expect(await matched({}, signals)).toEqual(['a', 'b', 'c']);
  });

  it('does not let a signal that matches no part join or extend an alert', async () => {
    const rule = { id: 'r', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: [] };
    const result = await run([rule], [sig('a', 'x', at('09:00')), sig('other', 'y', at('09:30'))]);
    expect(ids(result)).toEqual([['a']]);
  });
});

describe('assignment of signals to parts', () => {
  it('uses a signal that matches two parts for one of them only (A:2 and A-or-B:1 with two A signals does not fire)', async () => {
    const rule = { id: 'r', parts: [{ match: { type: 'a' }, count: 2 }, { match: { type: ['a', 'b'] }, count: 1 }], window: '1h', groupBy: [] };
    expect(await run([rule], [sig('a1', 'a', at('09:00')), sig('a2', 'a', at('09:10'))])).toMatchObject({ alerts: [] });
    expect(ids(await run([rule], [sig('a1', 'a', at('09:00')), sig('a2', 'a', at('09:10')), sig('a3', 'a', at('09:20'))]))).toEqual([['a1', 'a2', 'a3']]);
    expect(ids(await run([rule], [sig('a1', 'a', at('09:00')), sig('b1', 'b', at('09:10')), sig('a2', 'a', at('09:20'))]))).toEqual([['a1', 'b1', 'a2']]);
  });

  it('finds an assignment a greedy choice would miss', async () => {
    // s1 matches P0 or P1, s2 only P0: s1 must go to P1.
    const rule = { id: 'r', parts: [{ match: { type: ['a', 'b'] }, count: 1 }, { match: { type: 'b' }, count: 1 }], window: '1h', groupBy: [] };
    expect(ids(await run([rule], [sig('s1', 'b', at('09:00')), sig('s2', 'a', at('09:10'))]))).toEqual([['s1', 's2']]);
  });

  it('counts one signal once even when it matches every part of the same type', async () => {
    const rule = { id: 'r', parts: [{ match: { type: 'x' }, count: 1 }, { match: { type: 'x' }, count: 1 }], window: '1h', groupBy: [] };
    expect(ids(await run([rule], [sig('a', 'x', at('09:00'))]))).toEqual([]);
    expect(ids(await run([rule], [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:01'))]))).toEqual([['a', 'b']]);
  });
});

describe('ordered rules', () => {
  const rule = { id: 'o', parts: [{ match: { type: 'a' }, count: 2 }, { match: { type: 'b' }, count: 1 }], window: '1h', groupBy: [], ordered: true };

  it('fires when a valid order exists', async () => {
    expect(ids(await run([rule], [sig('a1', 'a', at('09:00')), sig('a2', 'a', at('09:10')), sig('b1', 'b', at('09:20'))]))).toEqual([['a1', 'a2', 'b1']]);
  });

  it('does not fire when the signals only came in the reverse order', async () => {
    expect((await run([rule], [sig('b1', 'b', at('09:00')), sig('a1', 'a', at('09:10')), sig('a2', 'a', at('09:20'))])).alerts).toEqual([]);
    expect((await run([rule], [sig('a1', 'a', at('09:00')), sig('b1', 'b', at('09:10')), sig('a2', 'a', at('09:20'))])).alerts).toEqual([]);
  });

  it('fires once a later part completes, holding an earlier out-of-order signal too', async () => {
    // b0 precedes every a, so it cannot serve; b1 after a1, a2 makes the order, and the alert holds all.
    expect(ids(await run([rule], [sig('b0', 'b', at('09:00')), sig('a1', 'a', at('09:10')), sig('a2', 'a', at('09:20')), sig('b1', 'b', at('09:30'))]))).toEqual([['b0', 'a1', 'a2', 'b1']]);
  });

  it('lets a signal matching both parts serve the later part when needed', async () => {
    const both = { id: 'o', parts: [{ match: { type: 'a' }, count: 1 }, { match: { type: ['a', 'b'] }, count: 1 }], window: '1h', groupBy: [], ordered: true };
    expect(ids(await run([both], [sig('a1', 'a', at('09:00')), sig('a2', 'a', at('09:10'))]))).toEqual([['a1', 'a2']]);
    expect(ids(await run([both], [sig('b1', 'b', at('09:00')), sig('a1', 'a', at('09:10'))]))).toEqual([]);
  });

  it('gives the same result unordered for the reverse order', async () => {
    expect(ids(await run([{ ...rule, ordered: false }], [sig('b1', 'b', at('09:00')), sig('a1', 'a', at('09:10')), sig('a2', 'a', at('09:20'))]))).toEqual([['b1', 'a1', 'a2']]);
  });
});

describe('consumption', () => {
  const two = { id: 'two', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', keepAlive: '1m', groupBy: [] };

  it('never counts fired signals again for that rule', async () => {
    // a, b fire; the alert closes at c (keepAlive 1m); c alone plus the consumed a, b must not fire again.
    const result = await run([two], [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:01')), sig('c', 'x', at('09:10'))]);
    expect(ids(result)).toEqual([['a', 'b']]);
  });

  it('opens a new alert after the close once enough new free signals arrive', async () => {
    const result = await run([two], [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:01')), sig('c', 'x', at('09:10')), sig('d', 'x', at('09:20'))]);
    expect(ids(result)).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('lets other rules still see consumed signals', async () => {
    const three = { id: 'three', parts: [{ match: { type: 'x' }, count: 3 }], window: '1h', groupBy: [] };
    const result = await run([two, three], [sig('a', 'x', at('09:00')), sig('b', 'x', at('09:01')), sig('c', 'x', at('09:10'))]);
    expect(result.alerts.map((a) => [a.rule, a.signals])).toEqual([
      ['three', ['a', 'b', 'c']],
      ['two', ['a', 'b']],
    ]);
  });
});

describe('output', () => {
  it('orders alerts by firstSeen, then rule id; signals in event-time order', async () => {
    const rules = [
      { id: 'zeta', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: [] },
      { id: 'alpha', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: [] },
      { id: 'mid', parts: [{ match: { type: 'y' }, count: 1 }], window: '1h', groupBy: [] },
    ];
    const result = await run(rules, [sig('y1', 'y', at('08:00')), sig('x2', 'x', at('09:30')), sig('x1', 'x', at('09:00'))]);
    expect(result.alerts.map((a) => [a.rule, a.firstSeen, a.signals])).toEqual([
      ['mid', '2024-05-01T08:00:00.000Z', ['y1']],
      ['alpha', '2024-05-01T09:00:00.000Z', ['x1', 'x2']],
      ['zeta', '2024-05-01T09:00:00.000Z', ['x1', 'x2']],
    ]);
  });

  it('writes firstSeen/lastSeen in UTC, keeping microseconds only when there are some', () => {
    expect(formatEventTime(Date.parse('2024-05-01T09:00:00Z') * 1000)).toBe('2024-05-01T09:00:00.000Z');
    expect(formatEventTime(Date.parse('2024-05-01T09:00:00.123Z') * 1000 + 456)).toBe('2024-05-01T09:00:00.123456Z');
    expect(formatEventTime(Date.parse('2024-05-01T09:00:00Z') * 1000 + 7)).toBe('2024-05-01T09:00:00.000007Z');
    expect(formatEventTime(-500)).toBe('1969-12-31T23:59:59.999500Z');
  });

  it('prints exactly {"alerts":[{rule,group,signals,firstSeen,lastSeen}],"stats":{...}}', async () => {
    const rules = parseRules([duoSso]);
    const path = dir.signals([sig('d1', 'duo_push_denied', '2024-05-01T11:00:00+02:00', { username: 'Alice' }), sig('d2', 'duo_push_denied', at('09:10'), { username: 'alice' }), sig('s1', 'sso_login_new_location', at('09:20'), { username: 'alice' })]);
    let text = '';
    await writeSimulationJson(await runSimulation(rules, path), (chunk) => {
      text += chunk;
    });
    const parsed = JSON.parse(text) as { alerts: Record<string, unknown>[]; stats: Record<string, unknown> };
    expect(Object.keys(parsed)).toEqual(['alerts', 'stats']);
    expect(Object.keys(parsed.alerts[0]!)).toEqual(['rule', 'group', 'signals', 'firstSeen', 'lastSeen']);
    expect(parsed.alerts).toEqual([{ rule: 'duo-sso', group: { username: 'alice' }, signals: ['d1', 'd2', 's1'], firstSeen: '2024-05-01T09:00:00.000Z', lastSeen: '2024-05-01T09:20:00.000Z' }]);
    expect(parsed.stats).toMatchObject({ lines: 3, signals: 3, duplicates: 0, alerts: 1, rules: { 'duo-sso': { alerts: 1, signals: 3 } } });
  });

  it('reports no alerts for an empty file', async () => {
    const result = await simulate(parseRules([duoSso]), dir.file('empty.jsonl', ''));
    expect(result).toEqual({ alerts: [], stats: { lines: 0, signals: 0, duplicates: 0, alerts: 0, appended: 0, rules: { 'duo-sso': { alerts: 0, signals: 0 } } } });
  });

  it('ignores disabled rules', async () => {
    const result = await run([{ ...duoSso, enabled: false }, { id: 'on', parts: [{ match: {}, count: 1 }], window: '1h', groupBy: [] }], [sig('a', 'duo_push_denied', at('09:00'), { username: 'a' })]);
    expect(result.alerts.map((a) => a.rule)).toEqual(['on']);
  });

  it('gives the same output with spilling sorts as in memory, on a file much larger than a chunk', async () => {
    const random = prng(7);
    const signals = Array.from({ length: 600 }, (_, i) =>
      sig(`s${i}`, random() < 0.5 ? 'duo_push_denied' : 'sso_login_new_location', new Date(Date.parse('2024-05-01T00:00:00Z') + Math.floor(random() * 48 * 60) * 60_000).toISOString(), {
        username: `u${Math.floor(random() * 6)}`,
      }),
    );
    signals.push(...signals.slice(0, 40).map((s) => ({ ...s, occurredAt: '2024-05-03T00:00:00Z' })));
    const rules = [{ ...duoSso, window: '1h', keepAlive: '10m' }, { id: 'pairs', parts: [{ match: {}, count: 2 }], window: '5m', groupBy: ['username'], ordered: true }];
    const inMemory = await run(rules, signals);
    expect(inMemory.alerts.length).toBeGreaterThan(40);
    expect(inMemory.stats.duplicates).toBe(40);
    for (const chunkSize of [1, 2, 17, 100]) expect(await run(rules, signals, chunkSize)).toEqual(inMemory);
    // Open alerts' ids spilled at every id, or every few.
    for (const maxHeldIdBytes of [1, 200]) expect(await simulateSignals(dir, rules, signals, { maxHeldIdBytes })).toEqual(inMemory);
  });
});

describe('bad signal lines', () => {
  const rules = parseRules([duoSso]);
  const problems = async (text: string): Promise<string[]> => {
    try {
      await simulate(rules, dir.file('bad.jsonl', text));
    } catch (err) {
      if (err instanceof SignalFileError) return err.problems;
      throw err;
    }
    throw new Error('expected a SignalFileError');
  };
  const good = JSON.stringify(sig('a', 'x', at('09:00')));

  it('names the line number and the field', async () => {
    expect(await problems(`${good}\n${JSON.stringify({ id: 'b', source: 's', type: 't' })}\n`)).toEqual([expect.stringMatching(/line 2: occurredAt: /)]);
    expect(await problems(`${good}\n\n${JSON.stringify({ ...sig('b', 'x', '2024-05-01 09:00'), source: '' })}\n`)).toEqual([
      expect.stringMatching(/line 3: source: /),
      expect.stringMatching(/line 3: occurredAt: must be an ISO-8601 timestamp with an offset or Z/),
    ]);
    expect(await problems(`${JSON.stringify(sig('b', 'x', '2024-05-01T09:00:00'))}\n`)).toEqual([expect.stringMatching(/line 1: occurredAt: /)]);
    expect(await problems(`${JSON.stringify(sig('b', 'x', at('09:00'), { user: [['nested']] as never }))}\n`)).toEqual([expect.stringMatching(/line 1: artifacts\.user: /)]);
    expect(await problems(`${JSON.stringify({ ...sig('b', 'x', at('09:00')), severity: 'urgent' })}\n`)).toEqual([expect.stringMatching(/line 1: severity: /)]);
    expect(await problems(`${JSON.stringify({ ...sig('b', 'x', at('09:00')), id: 7 })}\n`)).toEqual([expect.stringMatching(/line 1: id: /)]);
  });

  it('reports a line that is not JSON, or not an object', async () => {
    expect(await problems(`${good}\n{"id": "b",\n`)).toEqual([expect.stringMatching(/line 2: not JSON/)]);
    expect(await problems(`[1]\n`)).toEqual([expect.stringMatching(/line 1: \(root\): /)]);
  });

  it('reports every bad line, not only the first', async () => {
    const result = await problems(`nope\n${good}\nnope again\n`);
    expect(result).toEqual([expect.stringMatching(/line 1: not JSON/), expect.stringMatching(/line 3: not JSON/)]);
  });

  it('accepts CRLF line ends, blank lines and a byte-order mark', async () => {
    const path = dir.file('crlf.jsonl', `\ufeff${good}\r\n\r\n${JSON.stringify(sig('b', 'x', at('09:01')))}\r\n`);
    const result = await simulate(parseRules([{ id: 'two', parts: [{ match: { type: 'x' }, count: 2 }], window: '1h', groupBy: [] }]), path);
    expect(ids(result)).toEqual([['a', 'b']]);
    expect(result.stats.lines).toBe(2);
  });

  it('reports a file that cannot be read', async () => {
    await expect(simulate(rules, `${dir.path}/missing.jsonl`)).rejects.toThrow(/missing\.jsonl: cannot read: ENOENT/);
    await expect(simulate(rules, dir.path)).rejects.toBeInstanceOf(SignalFileError);
  });
});
