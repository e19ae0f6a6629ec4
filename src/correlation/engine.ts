// The correlation engine's entry point: signals prepared for it (event time, normalized type and source),
// which rule parts a signal matches and its group keys (live ingestion's path), and re-exports of the step on
// JSON-able state (group-step.ts) and the in-memory engine (memory-engine.ts). One implementation of
// shared/correlation/SEMANTICS.md, used by the simulator and by live ingestion.
//
// Callers feed signals in event-time order (ties in input order) and de-duplicate (source, id) themselves:
// the simulator in its sort pass, live ingestion through the signal store's unique _id.
import type { Signal } from '../signals/signal.js';
import { eventTimeMicros } from '../signals/event-time.js';
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
