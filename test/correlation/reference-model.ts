// A deliberately naive model of SEMANTICS.md "Evaluation", written straight from the text and sharing no
// code with the engine except artifact normalization (tested on its own): every step re-scans the group's
// free signals, and the assignment check is a brute-force search. Random scenarios compare the simulator
// against it.
import type { Rule } from '../../src/correlation/rule.js';
import { normalizeTypeName, normalizeValue, normalizeValues } from '../../src/signals/normalize.js';
import { parseEventTimeMicros, type Signal } from '../../src/signals/signal.js';

export interface ModelAlert {
  rule: string;
  group: Record<string, string>;
  signals: string[];
  firstSeenUs: number;
  lastSeenUs: number;
}

interface Item {
  id: string;
  t: number;
  seq: number;
  parts: number[];
}

function matches(rule: Rule, i: number, s: Signal): boolean {
  const m = rule.parts[i]!.match;
  if (m.type && !m.type.map(normalizeTypeName).includes(normalizeTypeName(s.type))) return false;
  if (m.source && !m.source.map((x) => x.trim().toLowerCase()).includes(s.source.trim().toLowerCase())) return false;
  if (m.severity && !(s.severity && m.severity.includes(s.severity))) return false;
  for (const [field, wanted] of Object.entries(m.where ?? {})) {
    const have = normalizeValues(s.artifacts[field]);
    if (!wanted.some((w) => have.includes(normalizeValue(w) ?? '\u0000none'))) return false;
  }
  return true;
}

/** Can `items` (in (t, seq) order) give part j count_j distinct signals, each used once (and in order)? */
function assignable(rule: Rule, items: Item[]): boolean {
  const need = rule.parts.map((p) => p.count);
  const search = (k: number, lastPart: number, remaining: number): boolean => {
    if (remaining === 0) return true;
    if (items.length - k < remaining) return false;
    const item = items[k]!;
    for (const j of item.parts) {
      if (need[j] === 0) continue;
      // In (t, seq) order, an ordered assignment is one whose part indices never go down.
      if (rule.ordered && j < lastPart) continue;
      need[j]!--;
      const ok = search(k + 1, rule.ordered ? j : lastPart, remaining - 1);
      need[j]!++;
      if (ok) return true;
    }
    return search(k + 1, lastPart, remaining);
  };
  return search(0, 0, need.reduce((a, b) => a + b, 0));
}

function combinations(rule: Rule, s: Signal): string[][] {
  let out: string[][] = [[]];
  for (const field of rule.groupBy) {
    const values = normalizeValues(s.artifacts[field]);
    out = out.flatMap((c) => values.map((v) => [...c, v]));
  }
  return out;
}

/** Alerts for the lines of a signals file, in the file's order. */
export function modelSimulate(rules: Rule[], lines: Signal[]): ModelAlert[] {
  const seen = new Set<string>();
  const unique: { s: Signal; seq: number; t: number }[] = [];
  lines.forEach((s, i) => {
    const key = JSON.stringify([s.source, s.id]);
    if (seen.has(key)) return; // the first line wins
    seen.add(key);
    unique.push({ s, seq: i + 1, t: parseEventTimeMicros(s.occurredAt)! });
  });
  unique.sort((a, b) => a.t - b.t || a.seq - b.seq);

  const alerts: (ModelAlert & { groupKey: string; firstSeq: number })[] = [];
  for (const rule of rules.filter((r) => r.enabled)) {
    const W = rule.windowMs * 1000;
    const keep = rule.keepAliveMs * 1000;
    const max = rule.maxDurationMs === undefined ? undefined : rule.maxDurationMs * 1000;
    const groups = new Map<string, { values: string[]; open?: Item[]; free: Item[] }>();
    const close = (key: string, values: string[], held: Item[]) =>
      alerts.push({
        rule: rule.id,
        group: Object.fromEntries(rule.groupBy.map((f, i) => [f, values[i]!])),
        signals: held.map((h) => h.id),
        firstSeenUs: Math.min(...held.map((h) => h.t)),
        lastSeenUs: Math.max(...held.map((h) => h.t)),
        groupKey: key,
        firstSeq: held[0]!.seq,
      });
    for (const { s, seq, t } of unique) {
      const parts = rule.parts.map((_, i) => i).filter((i) => matches(rule, i, s));
      if (parts.length === 0) continue;
      for (const values of combinations(rule, s)) {
        const key = values.join('\u0001');
        const g = groups.get(key) ?? { values, free: [] };
        groups.set(key, g);
        const item: Item = { id: s.id, t, seq, parts };
        if (g.open) {
          const first = Math.min(...g.open.map((h) => h.t));
          const last = Math.max(...g.open.map((h) => h.t));
          if (t <= last + keep && (max === undefined || t - first <= max)) {
            g.open.push(item);
            continue;
          }
          close(key, values, g.open);
          g.open = undefined;
        }
        g.free.push(item);
        const inWindow = g.free.filter((f) => t - W <= f.t && f.t <= t);
        if (assignable(rule, inWindow)) {
          g.open = inWindow;
          g.free = g.free.filter((f) => !inWindow.includes(f));
        }
      }
    }
    for (const [key, g] of groups) if (g.open) close(key, g.values, g.open);
  }
  alerts.sort((a, b) => a.firstSeenUs - b.firstSeenUs || cmp(a.rule, b.rule) || cmp(a.groupKey, b.groupKey) || a.firstSeq - b.firstSeq);
  return alerts.map(({ groupKey: _k, firstSeq: _s, ...a }) => a);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
