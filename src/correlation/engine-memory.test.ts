// The in-memory engine's state is bounded by its windows, not by the length of the stream: a long replay
// with idle eviction ends holding about what it held a third of the way in (simulate's memory must not grow
// from 1M to 10M lines). Counted from the engine's own figures, not from RSS.
import { describe, expect, it } from 'vitest';
import { CorrelationEngine, prepareSignal } from './engine.js';
import type { EngineRetained } from './memory-engine.js';
import { compileRule, parseRules } from './rule.js';
import { pick, prng, sig } from '../../test/correlation/helpers.js';

const TYPES = ['x', 'y', 'z'];

function replay(rules: ReturnType<typeof compileRule>[], total: number, users: number, stepMs: number): { at: EngineRetained[]; alerts: number } {
  const random = prng(9);
  let alerts = 0;
  const engine = new CorrelationEngine(rules, (e) => {
    if (e.kind === 'closed') alerts++;
  });
  const base = Date.parse('2024-05-01T00:00:00Z');
  const at: EngineRetained[] = [];
  for (let i = 0; i < total; i++) {
    const user = Math.floor(random() * users);
    const s = sig(`s${i}`, pick(TYPES, random), new Date(base + i * stepMs).toISOString(), { user: `U${user}`, host: `h${user % 37}`, tags: i % 5 === 0 ? ['a', 'b'] : 'a' });
    const p = prepareSignal(s, i);
    engine.process(p);
    if ((i + 1) % 1000 === 0) engine.evictIdle(p.t);
    if ((i + 1) % (total / 3) === 0) at.push(engine.retained());
  }
  engine.closeAll();
  return { at, alerts };
}

describe('CorrelationEngine.retained', () => {
  const rules = parseRules([
    { id: 'pair', parts: [{ match: { type: 'x' }, count: 2 }, { match: { type: 'y' }, count: 1 }], window: '10m', keepAlive: '2m', groupBy: ['user'] },
    { id: 'run', parts: [{ match: {}, count: 3 }], window: '1h', maxDuration: '30m', groupBy: ['user', 'host'], ordered: true },
    { id: 'tagged', parts: [{ match: { type: ['y', 'z'], where: { tags: 'b' } }, count: 1 }, { match: { type: 'z' }, count: 2 }], window: '30m', keepAlive: '1m', groupBy: ['host', 'tags'] },
  ]).map((r) => compileRule(r));

  it('stays bounded by the windows over a long stream (groups, keys, signals, records and nodes)', () => {
    // 60,000 signals, one every 5 s (about 3.5 days), 2,000 users: each window sees a fraction of the keys.
    const { at, alerts } = replay(rules, 60_000, 2_000, 5_000);
    const [third, , end] = at as [EngineRetained, EngineRetained, EngineRetained];
    expect(alerts).toBeGreaterThan(500);
    // In-window state: a 1 h window at one signal per 5 s covers at most 720 signals per rule.
    for (const r of at) {
      expect(r.freeSignals + r.heldSignals).toBeLessThan(3 * 720);
      expect(r.groups).toBeLessThan(3 * 720);
    }
    expect(end.keys).toBeLessThan(2 * third.keys + 50);
    // Storage is reused once warm: no growth in the last two thirds.
    expect(end.groupRecords).toBe(third.groupRecords);
    expect(end.poolNodes).toBe(third.poolNodes);
  });

  it('grows only with an open alert that a steady stream keeps alive (it holds every signal it lists)', () => {
    const alive = parseRules([{ id: 'all', parts: [{ match: {}, count: 2 }], window: '10m', groupBy: ['host'] }]).map((r) => compileRule(r));
    const { at } = replay(alive, 6_000, 50, 1_000);
    expect(at[2]!.heldSignals).toBeGreaterThan(2.5 * at[0]!.heldSignals);
    expect(at[2]!.groups).toBe(at[0]!.groups);
  });
});
