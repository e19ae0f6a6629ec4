// The correlation engine's entry point: signals prepared for it (event time, normalized type and source),
// which rule parts a signal matches and its group keys (live ingestion's path), and re-exports of the step on
// JSON-able state (group-step.ts) and the in-memory engine (memory-engine.ts). One implementation of
// shared/correlation/SEMANTICS.md, used by the simulator and by live ingestion.
//
// Callers feed signals in event-time order (ties in input order) and de-duplicate (source, id) themselves:
// the simulator in its sort pass, live ingestion through the signal store's unique _id.
import type { Signal } from '../signals/signal.js';
import { parseEventTimeMicros } from '../signals/signal.js';
import { normalizeTypeName, normalizeValues } from '../signals/normalize.js';
import type { CompiledRule } from './rule.js';
import type { PreparedSignal } from './group-step.js';

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
const normalizeSource = (v: string): string => v.trim().toLowerCase();
/** A source as rules match it (cached). */
export const matchedSource = (source: string): string => cached(sourceNames, source, normalizeSource);

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
  if (day > 28 && day > daysInMonth(year, month)) return undefined;
  // A stream's timestamps mostly share their date with the one before: its day number is kept.
  if (year !== lastDate.year || month !== lastDate.month || day !== lastDate.day) {
    lastDate.year = year;
    lastDate.month = month;
    lastDate.day = day;
    lastDate.days = daysFromCivil(year, month, day);
  }
  const seconds = ((lastDate.days * 24 + hour) * 60 + minute - offsetMinutes) * 60 + second;
  return (seconds * 1000 + ms) * 1000 + micros;
}

const lastDate = { year: 0, month: 0, day: 0, days: 0 };
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (y: number, m: number) => (m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; arithmetic, no Date call). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
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

// The step on JSON-able state lives in group-step.ts, the in-memory engine (simulator, backtest) in memory-engine.ts;
// exported here too for existing imports.
export { emptyGroupState, stepGroup, type FreeSignal, type GroupState, type HeldSignal, type OpenAlert, type PreparedSignal, type StepEvent } from './group-step.js';
export { CorrelationEngine, type EngineAlert, type EngineEvent } from './memory-engine.js';
