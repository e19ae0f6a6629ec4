// The pure part of live correlation by partition: which partitions a signal goes to (the partitions of its
// groups under every active rule), and stepping one log entry through the groups of one partition with the
// simulator's engine. Deterministic: the same entries in the same order give the same episodes, which is what
// makes a replay after a takeover safe.
import type { Signal } from '../signals/signal.js';
import { signalKey } from '../signals/store.js';
import { emptyGroupState, groupKeys, matchMask, prepareSignal, stepGroup, type GroupState, type StepEvent } from './engine.js';
import type { ActiveRule } from './rule-store.js';
import type { LogEntry } from './partition-log.js';
import type { GroupEntry } from './snapshots.js';
import { hashOf } from './leases.js';

const SEP = '\u0001';
/** Spaces log positions so (position, index in entry) is one number: the tie-break of equal event times. */
const SEQ_SPAN = 1_000_000;

/** A group's identity: rule version and the JSON of its values (a value may contain any character). */
export function groupIdOf(active: ActiveRule, group: string[]): string {
  return `${active.compiled.key}${SEP}${JSON.stringify(group)}`;
}

export function partitionOf(groupId: string, partitions: number): number {
  return hashOf(groupId) % partitions;
}

/** Signal keys per partition (each signal once per partition, the first of equal keys winning), and the signals. */
export function routeSignals(signals: Signal[], rules: ActiveRule[], partitions: number): { byPartition: Map<number, string[]>; byKey: Map<string, Signal> } {
  const byPartition = new Map<number, string[]>();
  const byKey = new Map<string, Signal>();
  for (const s of signals) {
    const key = signalKey(s);
    if (byKey.has(key)) continue;
    byKey.set(key, s);
    const prepared = prepareSignal(s, 0); // routing reads no id: the signal itself, not a copy keyed by (source, id)
    const targets = new Set<number>();
    for (const active of rules) {
      if (matchMask(active.compiled, prepared) === 0) continue;
      for (const group of groupKeys(active.compiled, prepared)) targets.add(partitionOf(groupIdOf(active, group), partitions));
    }
    for (const p of targets) {
      const keys = byPartition.get(p);
      if (keys) keys.push(key);
      else byPartition.set(p, [key]);
    }
  }
  return { byPartition, byKey };
}

export interface Touched {
  active: ActiveRule;
  group: string[];
  events: StepEvent[];
}

/** Steps an entry's signals, in event-time order, through the groups of partition p; returns the groups touched. */
export function stepEntry(p: number, partitions: number, groups: Map<string, GroupEntry>, entry: LogEntry, signals: Signal[], rules: ActiveRule[]): Touched[] {
  const prepared = signals.map((s, i) => prepareSignal({ ...s, id: signalKey(s) }, entry.seq * SEQ_SPAN + i)).sort((a, b) => a.t - b.t || a.seq - b.seq);
  const touched = new Map<string, Touched>();
  for (const s of prepared) {
    for (const active of rules) {
      const mask = matchMask(active.compiled, s);
      if (mask === 0) continue;
      for (const group of groupKeys(active.compiled, s)) {
        const id = groupIdOf(active, group);
        if (partitionOf(id, partitions) !== p) continue;
        let g = groups.get(id);
        if (!g) groups.set(id, (g = { ruleKey: active.compiled.key, group, state: emptyGroupState() }));
        // A signal the group already holds (a server that acknowledged one _id twice): never counted twice.
        if (alreadyStepped(g.state, s.id)) continue;
        let t = touched.get(id);
        if (!t) touched.set(id, (t = { active, group, events: [] }));
        stepGroup(active.compiled, g.state, { id: s.id, t: s.t, seq: s.seq, mask }, t.events);
      }
    }
  }
  return [...touched.values()];
}

function alreadyStepped(state: GroupState, key: string): boolean {
  return state.free.some((f) => f.id === key) || (state.open?.signals.some((h) => h.id === key) ?? false);
}
