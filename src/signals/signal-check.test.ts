import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { prng } from '../../test/support/prng.js';
import { checkSignal } from './signal-check.js';
import { signalSchema } from './signal.js';

/** Keys in order, at every level: zod's output and the fast path's must list them alike. */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (typeof v === 'object' && v !== null) return Object.keys(v).map((k) => [k, shapeOf((v as Record<string, unknown>)[k])]);
  return v;
}

const base = () => ({
  id: 'e-1',
  source: 'test',
  type: 'duo_push_denied',
  occurredAt: '2026-01-05T08:00:00.123Z',
  severity: 'high',
  artifacts: { username: 'alice', src_ip: '10.0.0.1', ports: [22, 443], hosts: ['a', 'b'] },
});

// Changes that keep a signal valid, or break it, or put it outside the fast path's shape.
const edits: ((s: Record<string, unknown>, r: () => number) => void)[] = [
  (s) => delete s.severity,
  (s) => delete s.artifacts,
  (s) => (s.artifacts = undefined),
  (s) => (s.artifacts = {}),
  (s) => (s.artifacts = []),
  (s) => (s.artifacts = null),
  (s) => (s.artifacts = { 'a.b': 'x' }),
  (s) => (s.artifacts = { $x: 'x' }),
  (s) => (s.artifacts = { '': 'x' }),
  (s) => (s.artifacts = JSON.parse('{"__proto__": "x", "u": "y"}') as unknown),
  (s) => (s.artifacts = { '2': 'two', '1': 'one', z: 'z' }),
  (s) => (s.artifacts = { u: [] }),
  (s) => (s.artifacts = { u: [1, 'a', [2]] }),
  (s) => (s.artifacts = { u: { nested: 1 } }),
  (s) => (s.artifacts = { u: null }),
  (s) => (s.artifacts = { u: true }),
  (s) => (s.artifacts = { u: Infinity }),
  (s) => (s.artifacts = { u: NaN }),
  (s) => (s.artifacts = { u: -0 }),
  // eslint-disable-next-line no-sparse-arrays
  (s) => (s.artifacts = { u: [1, , 2] }),
  (s) => (s.artifacts = { u: undefined }),
  (s) => (s.artifacts = Object.assign(Object.create(null) as object, { u: 'x' })),
  (s) => (s.artifacts = { [Symbol('k')]: 'x', u: 'y' }),
  (s) => (s.severity = 'HIGH'),
  (s) => (s.severity = undefined),
  (s) => (s.severity = 3),
  (s) => (s.title = 'A title'),
  (s) => (s.title = undefined),
  (s) => (s.title = 7),
  (s) => (s.tags = ['Team:AppSec', 'x']),
  (s) => (s.tags = []),
  (s) => (s.tags = 'x'),
  (s) => (s.tags = ['x', 1]),
  // eslint-disable-next-line no-sparse-arrays
  (s) => (s.tags = ['x', , 'y']),
  (s) => (s.tags = undefined),
  (s) => (s.link = 'https://example.com/e/1'),
  (s) => (s.link = 'not a url'),
  (s) => (s.raw = { vendor: { nested: [1, 2] } }),
  (s) => (s.raw = [1]),
  (s) => (s.raw = null),
  (s) => (s.raw = undefined),
  (s) => (s.extra = { any: 'thing' }),
  (s) => (s.zzz = 1),
  (s) => (s['0'] = 'numeric key'),
  (s) => (s.extra = undefined),
  (s) => Object.assign(s, JSON.parse('{"__proto__": {"polluted": 1}}') as object),
  (s) => (s.id = ''),
  (s) => (s.id = 5),
  (s) => delete s.id,
  (s) => (s.type = ''),
  (s) => delete s.type,
  (s) => (s.occurredAt = '2026-02-30T00:00:00Z'),
  (s) => (s.occurredAt = '2026-01-05 08:00:00'),
  (s) => (s.occurredAt = '2026-01-05T08:00:00+02:00'),
  (s) => (s.occurredAt = '2026-01-05T08:00Z'),
  (s) => (s.occurredAt = 1_700_000_000_000),
  (s, r) => (s.artifacts = { [`k${Math.floor(r() * 5)}`]: r() < 0.5 ? `v${r()}` : r() * 1000 }),
];

describe('checkSignal', () => {
  it('takes the common shape without zod, and gives exactly what signalSchema gives', () => {
    const input = { ...base(), raw: { a: 1 }, tags: ['x'], title: 't', vendorField: 'v' };
    const fast = checkSignal(input);
    expect(fast).toBeDefined();
    const parsed = signalSchema.parse(input);
    expect(shapeOf(fast)).toEqual(shapeOf(parsed));
    expect(isDeepStrictEqual(fast, parsed)).toBe(true);
    expect(fast!.artifacts).not.toBe(input.artifacts); // a copy, as zod's
    expect(fast!.raw).toBe(input.raw);
  });

  it('never accepts what signalSchema refuses, and never differs from it (generated edits)', () => {
    const random = prng(9);
    let fastTaken = 0;
    for (let round = 0; round < 3_000; round++) {
      const s = base() as Record<string, unknown>;
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) edits[Math.floor(random() * edits.length)]!(s, random);
      const zod = signalSchema.safeParse(s);
      const fast = checkSignal(s);
      if (fast === undefined) continue;
      fastTaken++;
      expect(zod.success, JSON.stringify(s)).toBe(true);
      expect(shapeOf(fast), JSON.stringify(s)).toEqual(shapeOf(zod.data));
      expect(isDeepStrictEqual(fast, zod.data), JSON.stringify(s)).toBe(true);
      expect(Object.getPrototypeOf(fast)).toBe(Object.getPrototypeOf(zod.data));
    }
    // Many edits keep the common shape (about a sixth of the rounds): the comparison is not vacuous.
    expect(fastTaken).toBeGreaterThan(300);
  });

  it('leaves each edit that zod refuses or that is outside its shape to zod', () => {
    for (const edit of edits) {
      const s = base() as Record<string, unknown>;
      edit(s, () => 0.5);
      const zod = signalSchema.safeParse(s);
      const fast = checkSignal(s);
      if (!zod.success) expect(fast, JSON.stringify(s)).toBeUndefined();
      else if (fast) expect(shapeOf(fast)).toEqual(shapeOf(zod.data));
    }
  });
});
