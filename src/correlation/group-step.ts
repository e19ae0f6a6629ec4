// One step of SEMANTICS.md "Evaluation" on one (rule, group) state kept as a plain JSON-able object, and the
// types the engines share: live ingestion loads a group's state from MongoDB, steps it and stores it; the
// in-memory engine (memory-engine.ts) takes this path for a signal that arrives before a later one of its group.
// Its own module so that engine.ts, memory-engine.ts and memory-group.ts all import it and not each other.
import type { ArtifactValue, Severity } from '../signals/signal.js';
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
  /** Normalized values per artifact field, filled on first use (by matchMask and groupKeys). */
  normalized?: Map<string, string[]>;
}

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

