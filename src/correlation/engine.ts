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
  /** Normalized values per artifact field, filled on first use (by matchMask and groupKeys). */
  normalized?: Map<string, string[]>;
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

/** A signal type as rules match it (cached: a stream has few). */
export const matchedType = (type: string): string => cached(typeNames, type, normalizeTypeName);
/** A source as rules match it (cached). */
export const matchedSource = (source: string): string => cached(sourceNames, source, (v) => v.trim().toLowerCase());

export function prepareSignal(signal: Signal, seq: number): PreparedSignal {
  const t = eventTimeMicros(signal.occurredAt);
  if (t === undefined) throw new Error(`signal ${signal.id}: occurredAt is not an ISO-8601 timestamp`);
  return { id: signal.id, t, seq, type: matchedType(signal.type), source: matchedSource(signal.source), severity: signal.severity, artifacts: signal.artifacts };
}

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const two = (text: string, i: number) => digit(text, i) * 10 + digit(text, i + 1);

/**
 * parseEventTimeMicros, with a fast path for the common shape "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" (the
 * regex and Date.parse were a tenth of the engine's time in the profile); anything else takes the general parser.
 */
export function eventTimeMicros(text: string): number | undefined {
  const len = text.length;
  if (len < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return parseEventTimeMicros(text);
  }
  const year = two(text, 0) * 100 + two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  let i = 19;
  let ms = 0;
  let micros = 0;
  if (text.charCodeAt(i) === 46) {
    let digits = 0;
    for (i++; i < len; i++, digits++) {
      const c = digit(text, i);
      if (Number.isNaN(c)) break;
      if (digits < 3) ms = ms * 10 + c;
      else if (digits < 6) micros = micros * 10 + c;
    }
    if (digits === 0) return parseEventTimeMicros(text);
    for (; digits < 3; digits++) ms *= 10;
    for (let d = Math.max(digits, 3); d < 6; d++) micros *= 10;
  }
  let offsetMinutes: number;
  if (i === len - 1 && text.charCodeAt(i) === 90) offsetMinutes = 0;
  else if (i === len - 6 && text.charCodeAt(i + 3) === 58 && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) {
    const oh = two(text, i + 1);
    const om = two(text, i + 4);
    if (!(oh <= 23 && om <= 59)) return parseEventTimeMicros(text);
    offsetMinutes = (text.charCodeAt(i) === 43 ? 1 : -1) * (oh * 60 + om);
  } else return parseEventTimeMicros(text);
  // NaN fails every comparison: a non-digit anywhere lands here too.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) return parseEventTimeMicros(text);
  if (day > 28 && day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return (Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000) * 1000 + micros;
}

function valuesOf(s: PreparedSignal, field: string): string[] {
  const normalized = (s.normalized ??= new Map());
  let v = normalized.get(field);
  if (!v) {
    v = normalizeValues(s.artifacts[field]);
    normalized.set(field, v);
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

// The in-memory engine (simulator, backtest) lives in memory-engine.ts; exported here too for existing imports.
export { CorrelationEngine, type EngineAlert, type EngineEvent } from './memory-engine.js';
