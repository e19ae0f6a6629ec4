// What the in-memory engine (memory-engine.ts) reads from a signal's artifacts, computed once per signal and
// shared by every rule that needs it: each field's normalized values (already-normal text without a cache
// lookup), which parts with source, severity or where conditions it matches, and for each distinct groupBy
// (a "slot": rules with the same groupBy share one) the ids of its group keys, interned (key-intern.ts).
import type { ArtifactValue } from '../signals/signal.js';
import { isCanonicalIPv4, isNormalized, normalizeValues } from '../signals/normalize.js';
import type { PreparedSignal } from './group-step.js';
import { KeyIntern } from './key-intern.js';
import type { CompiledRule } from './rule.js';

const CACHE_LIMIT = 100_000;
const NO_VALUES: readonly string[] = Object.freeze([]);

export class SignalKeys {
  private readonly fields: string[] = [];
  private readonly slotByGroupBy = new Map<string, number>();
  private readonly slotFields: number[][] = [];
  // Per signal (stamp), per field and per slot: values and keys computed once and shared by the rules.
  private stamp = 0;
  private readonly fieldStamp: number[] = [];
  private readonly fieldValues: (readonly string[])[] = [];
  private readonly single: string[][] = [];
  private readonly slotStamp: number[] = [];
  /** Per slot: its key intern, the ids of the signal's keys and how many. */
  private readonly slotIntern: KeyIntern[] = [];
  private readonly slotKeyIds: Int32Array[] = [];
  private readonly slotKeyCount: number[] = [];
  /** Normalized values of raw scalar artifacts: a stream repeats its users and hosts. Bounded: cleared when full. */
  private readonly normalized = new Map<string | number, readonly string[]>();

  /** The slot of a groupBy, made if new. */
  slot(groupBy: readonly string[]): number {
    const name = JSON.stringify(groupBy);
    let slot = this.slotByGroupBy.get(name);
    if (slot === undefined) {
      slot = this.slotByGroupBy.size;
      this.slotByGroupBy.set(name, slot);
      this.slotFields.push(groupBy.map((f) => this.field(f)));
      this.slotStamp.push(0);
      this.slotIntern.push(new KeyIntern());
      this.slotKeyIds.push(new Int32Array(8));
      this.slotKeyCount.push(0);
    }
    return slot;
  }

  intern(slot: number): KeyIntern {
    return this.slotIntern[slot]!;
  }

  /** Keys interned, over all slots. */
  size(): number {
    let n = 0;
    for (const intern of this.slotIntern) n += intern.size;
    return n;
  }

  /** A field's index, made if new (every field a rule reads is made at the start). */
  field(name: string): number {
    let i = this.fields.indexOf(name);
    if (i < 0) {
      i = this.fields.push(name) - 1;
      this.fieldStamp.push(0);
      this.fieldValues.push(NO_VALUES);
      this.single.push(['']);
    }
    return i;
  }

  /** A new signal: what was computed for the previous one no longer holds. */
  next(): void {
    this.stamp++;
  }

  private values(s: PreparedSignal, field: number): readonly string[] {
    if (this.fieldStamp[field] === this.stamp) return this.fieldValues[field]!;
    const raw: ArtifactValue | undefined = s.artifacts[this.fields[field]!];
    let v: readonly string[];
    if (raw === undefined) v = NO_VALUES;
    else if (typeof raw === 'string' && (isNormalized(raw) || isCanonicalIPv4(raw))) {
      // The field's own one-value array, refilled: its values are read only while this signal is processed.
      const one = this.single[field]!;
      one[0] = raw;
      v = one;
    }
    else if (Array.isArray(raw)) v = normalizeValues(raw);
    else {
      let cached = this.normalized.get(raw);
      if (cached === undefined) {
        cached = Object.freeze(normalizeValues(raw));
        if (this.normalized.size >= CACHE_LIMIT) this.normalized.clear();
        this.normalized.set(raw, cached);
      }
      v = cached;
    }
    this.fieldStamp[field] = this.stamp;
    this.fieldValues[field] = v;
    return v;
  }

  /** The parts (of `allowed`, those its type allows) that s matches; `filtered`: the parts with more than a type condition. */
  refine(parts: CompiledRule['parts'], filtered: number, s: PreparedSignal, allowed: number): number {
    let mask = allowed;
    for (let i = 0; i < parts.length; i++) {
      const bit = 1 << i;
      if (!(mask & bit & filtered)) continue;
      const p = parts[i]!;
      let ok = (!p.sources || p.sources.has(s.source)) && (!p.severities || (s.severity !== undefined && p.severities.has(s.severity)));
      if (ok && p.where) {
        for (const [field, wanted] of p.where) {
          if (!this.values(s, this.fields.indexOf(field)).some((v) => wanted.has(v))) {
            ok = false;
            break;
          }
        }
      }
      if (!ok) mask &= ~bit;
    }
    return mask;
  }

  /** The ids of the slot's keys for the signal, as `keys` left them (read the first `keys(...)` of them). */
  ids(slot: number): Int32Array {
    return this.slotKeyIds[slot]!;
  }

  /** Interns the slot's group keys for s (one per combination of array values) and returns how many. */
  keys(slot: number, s: PreparedSignal): number {
    if (this.slotStamp[slot] === this.stamp) return this.slotKeyCount[slot]!;
    this.slotStamp[slot] = this.stamp;
    const fields = this.slotFields[slot]!;
    const intern = this.slotIntern[slot]!;
    if (fields.length === 1) {
      // One field: the value is the key (every key of the slot has one value, so none can collide).
      const field = fields[0]!;
      if (this.fieldStamp[field] !== this.stamp) {
        // Not read yet: a raw value already normal is interned as it is, checked in the pass that hashes it.
        const raw = s.artifacts[this.fields[field]!];
        if (typeof raw === 'string') {
          const id = intern.idIfNormal(raw);
          if (id >= 0) {
            this.keyRoom(slot, 1)[0] = id;
            return (this.slotKeyCount[slot] = 1);
          }
        }
      }
      const vs = this.values(s, field);
      const keys = this.keyRoom(slot, vs.length);
      for (let k = 0; k < vs.length; k++) keys[k] = intern.id(vs[k]!);
      return (this.slotKeyCount[slot] = vs.length);
    }
    // Several fields: one key per combination of their values, the first field's varying slowest. A key is
    // each value prefixed by its length (unambiguous, cheaper than JSON); its tuple is made only when new.
    let combos = 1;
    for (const f of fields) combos *= this.values(s, f).length;
    const keys = this.keyRoom(slot, combos);
    for (let c = 0; c < combos; c++) {
      let key = '';
      for (let k = 0, span = combos; k < fields.length; k++) {
        const vs = this.values(s, fields[k]!);
        span /= vs.length;
        const v = vs[Math.floor(c / span) % vs.length]!;
        key += `${v.length}:${v}`;
      }
      let id = intern.find(key);
      if (id < 0) {
        const tuple: string[] = [];
        for (let k = 0, span = combos; k < fields.length; k++) {
          const vs = this.values(s, fields[k]!);
          span /= vs.length;
          tuple.push(vs[Math.floor(c / span) % vs.length]!);
        }
        id = intern.id(key, tuple);
      }
      keys[c] = id;
    }
    return (this.slotKeyCount[slot] = combos);
  }

  /** The slot's key id array, with room for `n`. */
  private keyRoom(slot: number, n: number): Int32Array {
    let keys = this.slotKeyIds[slot]!;
    if (keys.length < n) keys = this.slotKeyIds[slot] = new Int32Array(Math.max(n, keys.length * 2));
    return keys;
  }
}
