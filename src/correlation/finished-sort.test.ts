import { describe, expect, it } from 'vitest';
import { FinishedSort } from './finished-sort.js';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('FinishedSort', () => {
  it('gives the alerts by firstSeen, rule id, group and first line, in memory and across spilled runs', () => {
    const ruleIds = ['b', 'a', 'c\u00e9', 'a2'];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alerts = Array.from({ length: 500 }, (_, q) => {
      const r = random(ruleIds.length);
      const group = ['x', 'y\u0001z', '\u00e9', 'x\u0001'][random(4)]!;
      return { r, f: random(20) * 1000, q: 1000 - q, group, json: `{"n":${q},"g":${JSON.stringify(group)}}` };
    });
    const expected = [...alerts].sort((a, b) => a.f - b.f || cmp(ruleIds[a.r]!, ruleIds[b.r]!) || cmp(a.group, b.group) || a.q - b.q).map((a) => a.json);
    for (const maxItems of [undefined, 7, 1]) {
      const sort = new FinishedSort(ruleIds, { maxItems });
      // Split around where ids would go; part -1: none spilled.
      for (const a of alerts) sort.add(a.r, a.f, a.q, a.group, a.json.slice(0, 5), a.json.slice(5, 9), a.json.slice(9), -1);
      expect([...sort.sorted(() => '')]).toEqual(expected);
    }
  });

  it('puts spilled ids back between the head and the tail', () => {
    const sort = new FinishedSort(['r'], {});
    sort.add(0, 5, 1, 'g', '{"signals":[', '', ']}', 42);
    sort.add(0, 1, 2, 'g', '{"signals":[', '"a"', ']}', -1);
    expect([...sort.sorted((part) => `"spilled at ${part}"`)]).toEqual(['{"signals":["a"]}', '{"signals":["spilled at 42"]}']);
  });
});
