// The engine's building blocks, as live ingestion uses them: prepareSignal, matchMask, groupKeys, and
// stepGroup on a JSON-able GroupState.
import { describe, expect, it } from 'vitest';
import { CorrelationEngine, emptyGroupState, groupKeys, matchMask, prepareSignal, stepGroup, type EngineEvent, type GroupState, type StepEvent } from './engine.js';
import { compileRule, parseRule, parseRules } from './rule.js';
import type { Signal } from '../signals/signal.js';
import { at, pick, prng, sig } from '../../test/correlation/helpers.js';

const rule = (input: Record<string, unknown>) => compileRule(parseRule({ id: 'r', window: '4h', ...input }, 'r'));
const US = 1000;
const H = 3_600_000 * US;

describe('prepareSignal', () => {
  it('keeps the event time in microseconds, whatever the offset', () => {
    const a = prepareSignal(sig('a', 'x', '2024-05-01T11:00:00.123456+02:00'), 1);
    expect(a.t).toBe(Date.parse('2024-05-01T09:00:00.123Z') * US + 456);
    expect(prepareSignal(sig('b', 'x', '2024-05-01T09:00:00.1234569Z'), 2).t).toBe(Date.parse('2024-05-01T09:00:00.123Z') * US + 456);
  });

  it('normalizes the type name and source for matching', () => {
    const s = prepareSignal(sig('a', 'Duo Push-Denied', at('09:00'), {}, { source: ' Duo ' }), 1);
    expect(s).toMatchObject({ type: 'duo_push_denied', source: 'duo', seq: 1 });
  });
});

describe('matchMask', () => {
  it('gives one bit per matching part', () => {
    const r = rule({ parts: [{ match: { type: 'a' }, count: 2 }, { match: { type: ['a', 'b'] }, count: 1 }, { match: { where: { user: 'Alice' } }, count: 1 }] });
    expect(matchMask(r, prepareSignal(sig('1', 'a', at('09:00')), 1))).toBe(0b011);
    expect(matchMask(r, prepareSignal(sig('2', 'B', at('09:00'), { user: ' alice' }), 2))).toBe(0b110);
    expect(matchMask(r, prepareSignal(sig('3', 'c', at('09:00')), 3))).toBe(0);
  });
});

describe('groupKeys', () => {
  const r = rule({ parts: [{ match: {}, count: 1 }], groupBy: ['user', 'ip'] });
  const keys = (artifacts: Signal['artifacts']) => groupKeys(r, prepareSignal(sig('a', 'x', at('09:00'), artifacts), 1));

  it('gives the tuple of normalized values, one per combination of array values', () => {
    expect(keys({ user: 'Alice', ip: '::ffff:10.0.0.1' })).toEqual([['alice', '10.0.0.1']]);
    expect(keys({ user: ['a', 'A', 'b'], ip: ['10.0.0.1', '010.0.0.1'] })).toEqual([['a', '10.0.0.1'], ['b', '10.0.0.1']]);
  });

  it('gives none when a field is missing or empty', () => {
    expect(keys({ user: 'alice' })).toEqual([]);
    expect(keys({ user: 'alice', ip: '' })).toEqual([]);
    expect(keys({ user: [], ip: '10.0.0.1' })).toEqual([]);
  });

  it('gives the one empty key with an empty groupBy', () => {
    expect(groupKeys(rule({ parts: [{ match: {}, count: 1 }] }), prepareSignal(sig('a', 'x', at('09:00')), 1))).toEqual([[]]);
  });
});

describe('stepGroup', () => {
  const example = rule({ parts: [{ match: { type: 'duo_push_denied' }, count: 2 }, { match: { type: 'sso_login_new_location' }, count: 1 }], groupBy: ['username'] });
  const steps = [sig('d1', 'duo_push_denied', at('09:00')), sig('d2', 'duo_push_denied', at('10:00')), sig('s1', 'sso_login_new_location', at('12:59')), sig('d3', 'duo_push_denied', at('13:00')), sig('d4', 'duo_push_denied', at('18:00'))];

  /** Steps the signals through one group; with `viaJson` the state is stored and loaded as JSON between steps (as in MongoDB). */
  function replay(signals: Signal[], viaJson: boolean): { state: GroupState; log: string[] } {
    let state = emptyGroupState();
    const log: string[] = [];
    signals.forEach((s, i) => {
      const p = prepareSignal(s, i + 1);
      const events: StepEvent[] = [];
      state = stepGroup(example, state, { id: p.id, t: p.t, seq: p.seq, mask: matchMask(example, p) }, events);
      for (const e of events) log.push(`${s.id}:${e.kind}:${e.alert.episode}:${e.alert.signals.map((h) => h.id).join(',')}`);
      if (viaJson) state = JSON.parse(JSON.stringify(state)) as GroupState;
    });
    return { state, log };
  }

  it('runs the worked example: opened at 12:59, appended at 13:00, closed at 18:00 with 18:00 left free', () => {
    const { state, log } = replay(steps, false);
    expect(log).toEqual(['s1:opened:1:d1,d2,s1', 'd3:appended:1:d1,d2,s1,d3', 'd4:closed:1:d1,d2,s1,d3']);
    expect(state.open).toBeUndefined();
    expect(state.free.map((f) => f.id)).toEqual(['d4']);
    expect(state.episodes).toBe(1);
  });

  it('gives the same steps when the state goes through JSON between signals', () => {
    expect(replay(steps, true)).toEqual(replay(steps, false));
  });

  it('keeps an alert\'s signals in event-time order when a late signal is appended', () => {
    const state = emptyGroupState();
    const events: StepEvent[] = [];
    const one = rule({ parts: [{ match: {}, count: 1 }] });
    stepGroup(one, state, { id: 'b', t: 10 * H, seq: 1, mask: 1 }, events);
    stepGroup(one, state, { id: 'a', t: 9 * H, seq: 2, mask: 1 }, events);
    expect(state.open).toMatchObject({ firstSeen: 9 * H, lastSeen: 10 * H, signals: [{ id: 'a' }, { id: 'b' }] });
  });

  it('fires on late arrivals as event order would have, appending the later free signals (live ingestion)', () => {
    // The worked example arriving newest first: d2 completes a window that ends at d3, and d1, still within
    // keepAlive, is appended. The alert ends up holding what event order gives it.
    const reversed = [steps[3]!, steps[2]!, steps[1]!, steps[0]!];
    const { state, log } = replay(reversed, false);
    expect(log).toEqual(['d2:opened:1:d2,s1,d3', 'd1:appended:1:d1,d2,s1,d3']);
    expect(state.open?.signals.map((h) => h.id)).toEqual(['d1', 'd2', 's1', 'd3']);
    expect(state.free).toEqual([]);
  });

  it('leaves a late signal free when no window ending at or after it admits the parts', () => {
    const { state, log } = replay([steps[2]!, steps[0]!], false);
    expect(log).toEqual([]);
    expect(state.free.map((f) => f.id)).toEqual(['d1', 's1']);
  });

  it('numbers the alerts of one group (episodes)', () => {
    const one = rule({ parts: [{ match: {}, count: 1 }], keepAlive: '1h' });
    const state = emptyGroupState();
    const events: StepEvent[] = [];
    for (const [i, t] of [0, 2, 4].entries()) stepGroup(one, state, { id: `s${i}`, t: t * H, seq: i, mask: 1 }, events);
    expect(events.filter((e) => e.kind === 'opened').map((e) => e.alert.episode)).toEqual([1, 2, 3]);
  });
});

describe('CorrelationEngine.evictIdle', () => {
  it('reports the same alerts as an engine that never forgets a group', () => {
    const rules = parseRules([
      { id: 'a', parts: [{ match: { type: 'x' }, count: 2 }, { match: { type: 'y' }, count: 1 }], window: '30m', groupBy: ['user'] },
      { id: 'b', parts: [{ match: {}, count: 3 }], window: '1h', keepAlive: '10m', maxDuration: '2h', groupBy: ['user'], ordered: true },
    ]).map((r) => compileRule(r));
    const random = prng(3);
    const signals = Array.from({ length: 400 }, (_, i) => sig(`s${i}`, pick(['x', 'y'], random), new Date(Date.parse('2024-05-01T00:00:00Z') + i * 4 * 60_000 + Math.floor(random() * 200_000)).toISOString(), { user: pick(['u1', 'u2', 'u3', ['u1', 'u4']], random) }));
    signals.sort((p, q) => Date.parse(p.occurredAt) - Date.parse(q.occurredAt));
    const closed = (evict: boolean) => {
      const out: string[] = [];
      const engine = new CorrelationEngine(rules, (e: EngineEvent) => {
        if (e.kind === 'closed') out.push(`${e.rule.rule.id}/${e.group.join(',')}: ${e.alert.ids.join(',')}`);
      });
      signals.forEach((s, i) => {
        const p = prepareSignal(s, i + 1);
        engine.process(p);
        if (evict) engine.evictIdle(p.t);
      });
      const groupsBeforeClose = engine.groupCount();
      engine.closeAll();
      return { alerts: out.sort(), groupsBeforeClose };
    };
    const kept = closed(false);
    const evicted = closed(true);
    expect(kept.alerts.length).toBeGreaterThan(20);
    expect(evicted.alerts).toEqual(kept.alerts);
    expect(evicted.groupsBeforeClose).toBeLessThan(kept.groupsBeforeClose);
  });
});

describe('CorrelationEngine with signals out of event-time order', () => {
  it('steps each group exactly as stepGroup does (late signals take the general path)', () => {
    const rules = parseRules([
      { id: 'a', parts: [{ match: { type: 'x' }, count: 2 }, { match: { type: 'y' }, count: 1 }], window: '30m', groupBy: ['user'] },
      { id: 'b', parts: [{ match: {}, count: 2 }, { match: { type: 'y' }, count: 1 }], window: '1h', keepAlive: '10m', maxDuration: '2h', groupBy: ['user'], ordered: true },
    ]).map((r) => compileRule(r));
    const random = prng(5);
    const base = Date.parse('2024-05-01T00:00:00Z');
    // Mostly in order, with some signals a few minutes late.
    const signals = Array.from({ length: 600 }, (_, i) => sig(`s${i}`, pick(['x', 'y'], random), new Date(base + i * 60_000 - (random() < 0.2 ? Math.floor(random() * 600_000) : 0)).toISOString(), { user: pick(['u1', 'u2', ['u1', 'u3']], random) }));
    const fromEngine: string[] = [];
    const engine = new CorrelationEngine(rules, (e: EngineEvent) => fromEngine.push(`${e.kind} ${e.rule.rule.id}/${e.group.join(',')}#${e.alert.episode}: ${e.alert.ids.join(',')} ${e.alert.firstSeen}-${e.alert.lastSeen}`));
    const fromStep: string[] = [];
    const states = new Map<string, GroupState>();
    signals.forEach((s, i) => {
      const p = prepareSignal(s, i + 1);
      engine.process(p);
      // Stepped now, so the engine's events come in the same order as stepGroup's, signal by signal.
      engine.flush();
      for (const r of rules) {
        const mask = matchMask(r, p);
        if (!mask) continue;
        for (const group of groupKeys(r, p)) {
          const key = `${r.rule.id}/${group.join(',')}`;
          const state = states.get(key) ?? emptyGroupState();
          states.set(key, state);
          const events: StepEvent[] = [];
          stepGroup(r, state, { id: p.id, t: p.t, seq: p.seq, mask }, events);
          for (const e of events) fromStep.push(`${e.kind} ${key}#${e.alert.episode}: ${e.alert.signals.map((h) => h.id).join(',')} ${e.alert.firstSeen}-${e.alert.lastSeen}`);
        }
      }
    });
    expect(fromStep.filter((e) => e.startsWith('opened')).length).toBeGreaterThan(10);
    expect(fromEngine).toEqual(fromStep);
  });
});

describe('CorrelationEngine step queue', () => {
  it('gives each group the same events, in the same order, whether it steps signal by signal or in queued runs', () => {
    const rules = parseRules([
      { id: 'a', parts: [{ match: { type: 'x' }, count: 2 }, { match: { type: 'y' }, count: 1 }], window: '30m', groupBy: ['user'] },
      { id: 'b', parts: [{ match: {}, count: 2 }, { match: { type: 'y' }, count: 1 }], window: '1h', keepAlive: '10m', maxDuration: '2h', groupBy: ['user'], ordered: true },
      { id: 'c', parts: [{ match: { type: ['x', 'z'] }, count: 3 }], window: '15m', groupBy: ['host', 'user'] },
    ]).map((r) => compileRule(r));
    const random = prng(11);
    const base = Date.parse('2024-05-01T00:00:00Z');
    // More signals than the queue holds (it flushes itself), some late, some with several users (several groups).
    const signals = Array.from({ length: 40_000 }, (_, i) =>
      sig(`s${i}`, pick(['x', 'y', 'z'], random), new Date(base + i * 2_000 - (random() < 0.05 ? Math.floor(random() * 60_000) : 0)).toISOString(), {
        user: random() < 0.1 ? [`u${Math.floor(random() * 300)}`, `u${Math.floor(random() * 300)}`] : `u${Math.floor(random() * 300)}`,
        host: `h${Math.floor(random() * 20)}`,
      }),
    );
    const run = (flushEach: boolean, queuedSignals?: number) => {
      // Per rule and group (a flush takes a rule's groups in key id order, not in arrival order; the slot, a
      // record's index, may differ too: key ids freed by eviction are reused in another order).
      const byGroup = new Map<string, string[]>();
      const engine = new CorrelationEngine(
        rules,
        (e: EngineEvent) => {
          const key = `${e.rule.rule.id}/${e.group.join(',')}`;
          let events = byGroup.get(key);
          if (!events) byGroup.set(key, (events = []));
          events.push(`${e.kind} #${e.alert.episode}: ${e.alert.ids.join(',')} ${e.alert.firstSeen}-${e.alert.lastSeen}`);
        },
        { queuedSignals },
      );
      signals.forEach((s, i) => {
        const p = prepareSignal(s, i);
        engine.process(p);
        if (flushEach) engine.flush();
        if ((i + 1) % 7_000 === 0) engine.evictIdle(p.t);
      });
      engine.closeAll();
      return byGroup;
    };
    const each = run(true);
    const queued = run(false);
    const short = run(false, 5);
    for (const r of rules) {
      const opened = [...each].filter(([key]) => key.startsWith(`${r.rule.id}/`)).flatMap(([, events]) => events.filter((e) => e.startsWith('opened')));
      expect(opened.length).toBeGreaterThan(20);
    }
    expect(each.size).toBeGreaterThan(300);
    expect(Object.fromEntries(queued)).toEqual(Object.fromEntries(each));
    expect(Object.fromEntries(short)).toEqual(Object.fromEntries(each));
    expect(() => new CorrelationEngine(rules, () => {}, { queuedSignals: 40_000 })).toThrow(/queued signals/);
  });

  it('refuses to be fed from its own callback; after a callback throws, steps the rest once', () => {
    const rules = parseRules([{ id: 'a', parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: ['user'] }]).map((r) => compileRule(r));
    const p = (i: number) => prepareSignal(sig(`s${i}`, 'x', new Date(Date.parse('2024-05-01T00:00:00Z') + i * 60_000).toISOString(), { user: `u${i}` }), i);
    const feeding = new CorrelationEngine(rules, () => feeding.process(p(99)));
    feeding.process(p(1));
    expect(() => feeding.flush()).toThrow(/fed or flushed from its own event callback/);

    const opened: string[] = [];
    let fail = true;
    const engine = new CorrelationEngine(rules, (e) => {
      if (e.kind !== 'opened') return;
      if (fail) {
        fail = false;
        throw new Error('callback failed');
      }
      opened.push(e.alert.ids.join(','));
    });
    engine.process(p(1));
    engine.process(p(2));
    expect(() => engine.flush()).toThrow('callback failed');
    engine.process(p(3));
    engine.closeAll();
    // s1 was stepped (its callback threw), s2 stayed queued and is stepped by the next flush, once.
    expect(opened).toEqual(['s2', 's3']);
  });

  it('when a callback throws on eviction, forgets that group and keeps the others for the next eviction', () => {
    const rules = parseRules([{ id: 'a', parts: [{ match: { type: 'x' }, count: 1 }], window: '10m', groupBy: ['user'] }]).map((r) => compileRule(r));
    const base = Date.parse('2024-05-01T00:00:00Z');
    const closed: string[] = [];
    let fail = true;
    const engine = new CorrelationEngine(rules, (e) => {
      if (e.kind !== 'closed') return;
      if (fail) {
        fail = false;
        throw new Error('callback failed');
      }
      closed.push(e.group.join(','));
    });
    for (let i = 0; i < 50; i++) engine.process(prepareSignal(sig(`s${i}`, 'x', new Date(base + i * 1_000).toISOString(), { user: `u${(i * 7) % 50}` }), i));
    const later = (base + 3_600_000) * 1000;
    expect(() => engine.evictIdle(later)).toThrow('callback failed');
    // The group whose callback threw is forgotten (its event was given); the others are still held...
    expect(engine.groupCount()).toBe(49);
    engine.evictIdle(later);
    // ...and forgotten by the next eviction, each reported closed once.
    expect(engine.groupCount()).toBe(0);
    expect(new Set(closed).size).toBe(49);
    expect(closed).toHaveLength(49);

    // Evicting from a 'closed' callback is refused (the eviction's buffers are in use), and nothing is lost.
    const again: string[] = [];
    const reentrant: CorrelationEngine = new CorrelationEngine(rules, (e) => {
      if (e.kind !== 'closed') return;
      again.push(e.group.join(','));
      if (again.length === 1) reentrant.evictIdle(later);
    });
    for (let i = 0; i < 50; i++) reentrant.process(prepareSignal(sig(`s${i}`, 'x', new Date(base + i * 1_000).toISOString(), { user: `u${i}` }), i));
    expect(() => reentrant.evictIdle(later)).toThrow(/from its own event callback/);
    reentrant.evictIdle(later);
    expect(reentrant.groupCount()).toBe(0);
    expect(again).toHaveLength(50);
  });

  it('after a later rule\'s callback throws, steps what was queued since for the rules already stepped', () => {
    const rules = parseRules(['a', 'b'].map((id) => ({ id, parts: [{ match: { type: 'x' }, count: 1 }], window: '1h', groupBy: ['user'] }))).map((r) => compileRule(r));
    const p = (i: number) => prepareSignal(sig(`s${i}`, 'x', new Date(Date.parse('2024-05-01T00:00:00Z') + i * 60_000).toISOString(), { user: `u${i}` }), i);
    const opened: string[] = [];
    let fail = true;
    const engine = new CorrelationEngine(rules, (e) => {
      if (e.kind !== 'opened') return;
      if (fail && e.rule.rule.id === 'b') {
        fail = false;
        throw new Error('callback failed');
      }
      opened.push(`${e.rule.rule.id} ${e.alert.ids.join(',')}`);
    });
    engine.process(p(1));
    engine.process(p(2));
    expect(() => engine.flush()).toThrow('callback failed');
    // Rule a was stepped whole before rule b threw; s3 then queues steps for both.
    engine.process(p(3));
    engine.closeAll();
    expect(opened.sort()).toEqual(['a s1', 'a s2', 'a s3', 'b s2', 'b s3']);
  });
});
