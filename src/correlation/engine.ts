// The correlation engine: one pure implementation of shared/correlation/SEMANTICS.md, used by the simulator
// and by live ingestion. State is kept per (rule, group) as a plain JSON-able object and advanced by one
// step function, so live ingestion can load one group's state from MongoDB, step it, and store it.
//
// Callers feed signals in event-time order (ties in input order) and de-duplicate (source, id) themselves:
// the simulator in its sort pass, live ingestion through the signal store's unique _id.
import type { ArtifactValue, Severity, Signal } from '../signals/signal.js';
import { parseEventTimeMicros } from '../signals/signal.js';
import { normalizeTypeName, normalizeValues } from '../signals/normalize.js';
import type { CompiledRule } from './rule.js';

/** A signal ready for the engine: event time in microseconds, input order, normalized names. */
export interface PreparedSignal {
  id: string;
  t: number;
  seq: number;
  type: string;
  source: string;
  severity?: Severity;
  artifacts: Record<string, ArtifactValue>;
  /** Normalized values per artifact field, filled on first use. */
  normalized: Map<string, string[]>;
}

// A stream has few distinct types and sources: normalize each once. Bounded so odd input cannot grow them.
const typeNames = new Map<string, string>();
const sourceNames = new Map<string, string>();
const NAME_CACHE_LIMIT = 10_000;

function cached(cache: Map<string, string>, raw: string, normalize: (v: string) => string): string {
  let v = cache.get(raw);
  if (v === undefined) {
    v = normalize(raw);
    if (cache.size < NAME_CACHE_LIMIT) cache.set(raw, v);
  }
  return v;
}

export function prepareSignal(signal: Signal, seq: number): PreparedSignal {
  const t = parseEventTimeMicros(signal.occurredAt);
  if (t === undefined) throw new Error(`signal ${signal.id}: occurredAt is not an ISO-8601 timestamp`);
  return {
    id: signal.id,
    t,
    seq,
    type: cached(typeNames, signal.type, normalizeTypeName),
    source: cached(sourceNames, signal.source, (v) => v.trim().toLowerCase()),
    severity: signal.severity,
    artifacts: signal.artifacts,
    normalized: new Map(),
  };
}

function valuesOf(s: PreparedSignal, field: string): string[] {
  let v = s.normalized.get(field);
  if (!v) {
    v = normalizeValues(s.artifacts[field]);
    s.normalized.set(field, v);
  }
  return v;
}

/** Bitmask of the rule's parts the signal matches (0: it takes no part in the rule). */
export function matchMask(rule: CompiledRule, s: PreparedSignal): number {
  let mask = 0;
  for (let i = 0; i < rule.parts.length; i++) {
    const p = rule.parts[i]!;
    if (p.types && !p.types.has(s.type)) continue;
    if (p.sources && !p.sources.has(s.source)) continue;
    if (p.severities && (!s.severity || !p.severities.has(s.severity))) continue;
    if (p.where && !p.where.every(([field, wanted]) => valuesOf(s, field).some((v) => wanted.has(v)))) continue;
    mask |= 1 << i;
  }
  return mask;
}

/** Group keys (tuples of normalized groupBy values), one per combination of array values; none if a field is missing. */
export function groupKeys(rule: CompiledRule, s: PreparedSignal): string[][] {
  if (rule.groupBy.length === 1) return valuesOf(s, rule.groupBy[0]!).map((v) => [v]);
  let combos: string[][] = [[]];
  for (const field of rule.groupBy) {
    const values = valuesOf(s, field);
    if (values.length === 0) return [];
    combos = values.length === 1 ? combos.map((c) => [...c, values[0]!]) : combos.flatMap((c) => values.map((v) => [...c, v]));
  }
  return combos;
}

// ---------------------------------------------------------------- per-group state

export interface HeldSignal {
  id: string;
  t: number;
  seq: number;
}

export interface FreeSignal extends HeldSignal {
  mask: number;
}

export interface OpenAlert {
  /** 1 for the group's first alert, 2 for the next...: with the rule key and group, the alert's identity. */
  episode: number;
  firstSeen: number;
  lastSeen: number;
  signals: HeldSignal[];
}

export interface GroupState {
  /** Free signals in (t, seq) order. */
  free: FreeSignal[];
  /** Free signals per part mask, for the assignment check. */
  counts: Record<number, number>;
  open?: OpenAlert;
  episodes: number;
}

export function emptyGroupState(): GroupState {
  return { free: [], counts: {}, episodes: 0 };
}

export type StepEvent =
  | { kind: 'appended'; alert: OpenAlert; signal: HeldSignal }
  | { kind: 'closed'; alert: OpenAlert }
  | { kind: 'opened'; alert: OpenAlert };

const before = (a: HeldSignal, b: HeldSignal) => a.t < b.t || (a.t === b.t && a.seq < b.seq);

/** Can the free signals (already limited to the window) be assigned to the parts? */
function admits(rule: CompiledRule, candidates: FreeSignal[], counts: Record<number, number>): boolean {
  // counts tallies exactly the candidates, so their number is the total (no walk over counts' keys).
  if (candidates.length < rule.totalCount) return false;
  const n = rule.parts.length;
  if (rule.ordered) {
    // Greedy: each part takes its earliest matching signals after the previous part's last one. Taking the
    // earliest never hurts the parts after it, so this finds an assignment whenever one exists.
    let part = 0;
    let need = rule.parts[0]!.count;
    for (const c of candidates) {
      if (c.mask & (1 << part)) {
        if (--need === 0) {
          if (++part === n) return true;
          need = rule.parts[part]!.count;
        }
      }
    }
    return false;
  }
  // One part: every candidate matches it, and there are enough of them.
  if (n === 1) return true;
  // Hall's condition for a b-matching: every set S of parts is matched by at least sum(count, S) signals.
  for (let subset = 1; subset < 1 << n; subset++) {
    let available = 0;
    for (const m in counts) if (Number(m) & subset) available += counts[m]!;
    if (available < rule.demand[subset]!) return false;
  }
  return true;
}

/**
 * One step of SEMANTICS.md "Evaluation" for signal s in group k of rule r. Mutates and returns the state;
 * events say what happened to the group's alert.
 */
export function stepGroup(rule: CompiledRule, state: GroupState, s: FreeSignal, events: StepEvent[]): GroupState {
  // 1. An open alert that s keeps alive takes s, and nothing else happens.
  const open = state.open;
  if (open) {
    const alive = s.t <= open.lastSeen + rule.keepAliveUs && (rule.maxDurationUs === undefined || s.t - open.firstSeen <= rule.maxDurationUs);
    if (alive) {
      const held = { id: s.id, t: s.t, seq: s.seq };
      // Keep the held signals in event-time order even if s arrived late (live ingestion).
      let i = open.signals.length;
      while (i > 0 && before(held, open.signals[i - 1]!)) i--;
      if (i === open.signals.length) open.signals.push(held);
      else open.signals.splice(i, 0, held);
      if (s.t > open.lastSeen) open.lastSeen = s.t;
      if (s.t < open.firstSeen) open.firstSeen = s.t;
      events.push({ kind: 'appended', alert: open, signal: held });
      return state;
    }
    // 2. Otherwise the alert is closed...
    state.open = undefined;
    events.push({ kind: 'closed', alert: open });
  }

  // ...and s becomes a free signal of (r, k).
  const free = state.free;
  let at = free.length;
  while (at > 0 && before(s, free[at - 1]!)) at--;
  if (at === free.length) free.push(s);
  else free.splice(at, 0, s);
  state.counts[s.mask] = (state.counts[s.mask] ?? 0) + 1;

  // Free signals before the window can never count again (later signals only move the window forward).
  const lower = s.t - rule.windowUs;
  let drop = 0;
  while (drop < free.length && free[drop]!.t < lower) {
    const m = free[drop]!.mask;
    if (--state.counts[m]! === 0) delete state.counts[m];
    drop++;
  }
  if (drop) free.splice(0, drop);

  // The window is [s.t - window, s.t], closed at both ends. In event-time order s is the last free signal and
  // every free signal is in it.
  if (free[free.length - 1] === s) {
    if (!admits(rule, free, state.counts)) return state;
    return fire(state, free.length, events);
  }
  return stepLate(rule, state, free.indexOf(s), events);
}

/**
 * A signal that arrived after later ones (live ingestion only; the simulator sorts first). Replays what event
 * order would have done from s on: the windows ending at s and at each later free signal are checked in
 * order; at the first that admits the parts the alert fires there, and the free signals after that point are
 * stepped again as if they arrived next, so they are appended, or start over, exactly as in event order.
 */
function stepLate(rule: CompiledRule, state: GroupState, from: number, events: StepEvent[]): GroupState {
  const free = state.free;
  for (let end = from; end < free.length; end++) {
    const lower = free[end]!.t - rule.windowUs;
    let start = 0;
    while (free[start]!.t < lower) start++;
    const candidates = free.slice(start, end + 1);
    const counts: Record<number, number> = {};
    for (const c of candidates) counts[c.mask] = (counts[c.mask] ?? 0) + 1;
    if (!admits(rule, candidates, counts)) continue;
    const later = free.slice(end + 1);
    const earlier = free.slice(0, start);
    state.free = candidates;
    fire(state, candidates.length, events);
    state.free = earlier;
    state.counts = {};
    for (const f of earlier) state.counts[f.mask] = (state.counts[f.mask] ?? 0) + 1;
    for (const next of later) stepGroup(rule, state, next, events);
    return state;
  }
  return state;
}

/** 3. Fire: the new alert holds the first `end` free signals (those in the window); they are consumed. */
function fire(state: GroupState, end: number, events: StepEvent[]): GroupState {
  const free = state.free;
  const held = free.slice(0, end).map(({ id, t, seq }) => ({ id, t, seq }));
  state.free = free.slice(end);
  state.counts = {};
  for (const f of state.free) state.counts[f.mask] = (state.counts[f.mask] ?? 0) + 1;
  state.episodes += 1;
  state.open = { episode: state.episodes, firstSeen: held[0]!.t, lastSeen: held[held.length - 1]!.t, signals: held };
  events.push({ kind: 'opened', alert: state.open });
  return state;
}

// ---------------------------------------------------------------- the in-memory engine

export interface EngineEvent {
  kind: StepEvent['kind'];
  rule: CompiledRule;
  /** The normalized groupBy values, in groupBy order. */
  group: string[];
  alert: OpenAlert;
  signal?: HeldSignal;
}

// Group keys are the JSON of the value tuple: joining with a separator would let two tuples collide when a
// value contains the separator.
/**
 * The Map key of a group: with one groupBy field, the value itself (every key of a rule has the same arity, so
 * no two groups can share one); otherwise the JSON of the values (a value may contain any character).
 */
function keyOf(rule: CompiledRule, values: string[]): string {
  return rule.groupBy.length === 1 ? values[0]! : JSON.stringify(values);
}

function splitKey(rule: CompiledRule, key: string): string[] {
  return rule.groupBy.length === 1 ? [key] : (JSON.parse(key) as string[]);
}

/** All rules' group states in memory: the simulator's engine. Emits every event to `onEvent`. */
export class CorrelationEngine {
  private readonly byType = new Map<string, CompiledRule[]>();
  private readonly anyType: CompiledRule[] = [];
  private readonly groups = new Map<CompiledRule, Map<string, GroupState>>();
  private readonly events: StepEvent[] = [];
  // Rules with the same groupBy share one slot: a signal's group keys and their JSON are computed once per
  // slot and reused by the other rules of the slot (valid while `keysFor` is the signal being processed).
  private readonly slots = new Map<CompiledRule, { groups: Map<string, GroupState>; slot: number }>();
  private readonly slotValues: string[][][] = [];
  private readonly slotKeys: string[][] = [];
  private readonly slotFor: (PreparedSignal | undefined)[] = [];

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly onEvent: (event: EngineEvent) => void,
  ) {
    const slotByGroupBy = new Map<string, number>();
    for (const rule of rules) {
      const groups = new Map<string, GroupState>();
      this.groups.set(rule, groups);
      const groupBy = JSON.stringify(rule.groupBy);
      if (!slotByGroupBy.has(groupBy)) slotByGroupBy.set(groupBy, slotByGroupBy.size);
      this.slots.set(rule, { groups, slot: slotByGroupBy.get(groupBy)! });
      if (!rule.types) this.anyType.push(rule);
      else for (const type of rule.types) this.byType.set(type, [...(this.byType.get(type) ?? []), rule]);
    }
  }

  process(s: PreparedSignal): void {
    this.slotFor.fill(undefined);
    const typed = this.byType.get(s.type);
    if (typed) for (const rule of typed) this.processRule(rule, s);
    for (const rule of this.anyType) this.processRule(rule, s);
  }

  private processRule(rule: CompiledRule, s: PreparedSignal): void {
    const mask = matchMask(rule, s);
    if (mask === 0) return;
    const { groups, slot } = this.slots.get(rule)!;
    let keys = this.slotValues[slot];
    let json = this.slotKeys[slot];
    if (this.slotFor[slot] !== s || !keys || !json) {
      keys = groupKeys(rule, s);
      json = keys.map((values) => keyOf(rule, values));
      this.slotValues[slot] = keys;
      this.slotKeys[slot] = json;
      this.slotFor[slot] = s;
    }
    for (let k = 0; k < keys.length; k++) {
      const values = keys[k]!;
      const key = json[k]!;
      let state = groups.get(key);
      if (!state) {
        state = emptyGroupState();
        groups.set(key, state);
      }
      stepGroup(rule, state, { id: s.id, t: s.t, seq: s.seq, mask }, this.events);
      for (const e of this.events) this.onEvent({ kind: e.kind, rule, group: values, alert: e.alert, signal: e.kind === 'appended' ? e.signal : undefined });
      this.events.length = 0;
    }
  }

  /**
   * Forgets groups that can no longer change: no free signal inside the window of `nowUs`, and no alert that
   * a signal at or after `nowUs` could extend (such an alert is final and reported closed). Keeps memory to
   * in-window state when signals arrive in event-time order.
   */
  evictIdle(nowUs: number): void {
    for (const [rule, groups] of this.groups) {
      for (const [key, state] of groups) {
        const open = state.open;
        if (open && nowUs <= open.lastSeen + rule.keepAliveUs && (rule.maxDurationUs === undefined || nowUs - open.firstSeen <= rule.maxDurationUs)) continue;
        const last = state.free[state.free.length - 1];
        if (last && last.t >= nowUs - rule.windowUs) continue;
        if (open) this.onEvent({ kind: 'closed', rule, group: splitKey(rule, key), alert: open });
        groups.delete(key);
      }
    }
  }

  /** Reports every alert still open as closed (end of a simulation). */
  closeAll(): void {
    for (const [rule, groups] of this.groups) {
      for (const [key, state] of groups) {
        if (state.open) this.onEvent({ kind: 'closed', rule, group: splitKey(rule, key), alert: state.open });
        state.open = undefined;
      }
    }
  }

  groupCount(): number {
    let n = 0;
    for (const groups of this.groups.values()) n += groups.size;
    return n;
  }
}
