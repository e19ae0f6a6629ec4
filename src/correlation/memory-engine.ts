// The in-memory correlation engine (the simulator's and the backtest's): every (rule, group) state of a stream
// held in memory and stepped in event-time order. Same semantics as engine.ts stepGroup, laid out for speed
// (profiled: per-signal objects, Map lookups and re-normalization, and on this shared machine above all the
// memory latency of every object a step touches): a signal's artifact values are normalized once per signal,
// already-normal text without a cache lookup; rules are dispatched by signal type with their type-only part mask
// precomputed; and each group (memory-group.ts) keeps its free signals and open alert in flat arrays.
//
// A signal that arrives before a later one of its group (a backtest's ties within a millisecond) takes the
// general path: the group is turned into stepGroup's JSON-able state, stepped there, and turned back.
import type { ArtifactValue } from '../signals/signal.js';
import { isNormalized, normalizeValues } from '../signals/normalize.js';
import { stepGroup, type PreparedSignal, type StepEvent } from './engine.js';
import { admits, after, Group, NO_ALERT, snapshot, STRIDE, type EngineAlert, type EngineEvent } from './memory-group.js';
import type { CompiledRule } from './rule.js';

export type { EngineAlert, EngineEvent };

interface RuleRuntime {
  compiled: CompiledRule;
  /** Index of the rule's groupBy among the distinct groupBys (rules that share one share its keys). */
  slot: number;
  groups: Map<string, Group>;
  /** Parts with a source, severity or where condition: their bits need more than the type to be decided. */
  filtered: number;
}

interface Dispatch {
  rules: RuleRuntime[];
  /** The parts each rule's type conditions allow, beside `rules`. */
  masks: number[];
}

const CACHE_LIMIT = 100_000;
const NONE: readonly string[] = Object.freeze([]);

/** All rules' group states in memory. Emits every event to `onEvent`; feed it signals in event-time order. */
export class CorrelationEngine {
  private readonly runtimes: RuleRuntime[];
  private readonly byType = new Map<string, Dispatch>();
  private readonly fields: string[] = [];
  private readonly slotFields: number[][] = [];
  // Per signal (stamp), per field and per slot: values and keys computed once and shared by the rules.
  private stamp = 0;
  private readonly fieldStamp: number[] = [];
  private readonly fieldValues: (readonly string[])[] = [];
  private readonly slotStamp: number[] = [];
  private readonly slotKeys: string[][] = [];
  /** With several groupBy fields: the values of each key (one field: the key is the value). */
  private readonly slotValues: string[][][] = [];
  /** Normalized values of raw scalar artifacts: a stream repeats its users and hosts. Bounded: cleared when full. */
  private readonly normalized = new Map<string | number, readonly string[]>();
  private readonly events: StepEvent[] = [];

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly onEvent: (event: EngineEvent) => void,
  ) {
    const slotByGroupBy = new Map<string, number>();
    this.runtimes = rules.map((compiled) => {
      const groupBy = JSON.stringify(compiled.groupBy);
      let slot = slotByGroupBy.get(groupBy);
      if (slot === undefined) {
        slot = slotByGroupBy.size;
        slotByGroupBy.set(groupBy, slot);
        this.slotFields.push(compiled.groupBy.map((f) => this.fieldIndex(f)));
        this.slotStamp.push(0);
        this.slotKeys.push([]);
        this.slotValues.push([]);
      }
      let filtered = 0;
      compiled.parts.forEach((p, i) => {
        if (p.sources || p.severities || p.where) filtered |= 1 << i;
        for (const [field] of p.where ?? []) this.fieldIndex(field);
      });
      return { compiled, slot, groups: new Map(), filtered };
    });
  }

  private fieldIndex(field: string): number {
    let i = this.fields.indexOf(field);
    if (i < 0) {
      i = this.fields.push(field) - 1;
      this.fieldStamp.push(0);
      this.fieldValues.push(NONE);
    }
    return i;
  }

  /** The rules a signal type can concern, with the parts its type allows. Bounded like the other caches. */
  private dispatch(type: string): Dispatch {
    let d = this.byType.get(type);
    if (d) return d;
    d = { rules: [], masks: [] };
    for (const rt of this.runtimes) {
      let mask = 0;
      rt.compiled.parts.forEach((p, i) => {
        if (!p.types || p.types.has(type)) mask |= 1 << i;
      });
      if (mask) {
        d.rules.push(rt);
        d.masks.push(mask);
      }
    }
    if (this.byType.size >= CACHE_LIMIT) this.byType.clear();
    this.byType.set(type, d);
    return d;
  }

  private values(s: PreparedSignal, field: number): readonly string[] {
    if (this.fieldStamp[field] === this.stamp) return this.fieldValues[field]!;
    const raw: ArtifactValue | undefined = s.artifacts[this.fields[field]!];
    let v: readonly string[];
    if (raw === undefined) v = NONE;
    else if (typeof raw === 'string' && isNormalized(raw)) v = [raw];
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

  /** The parts of `rt` that s matches, given the parts its type allows. */
  private refine(rt: RuleRuntime, s: PreparedSignal, allowed: number): number {
    let mask = allowed;
    const parts = rt.compiled.parts;
    for (let i = 0; i < parts.length; i++) {
      const bit = 1 << i;
      if (!(mask & bit & rt.filtered)) continue;
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

  /** Group keys of the slot for s (one per combination of array values), and the values of each. */
  private keys(rt: RuleRuntime, s: PreparedSignal): number {
    const slot = rt.slot;
    if (this.slotStamp[slot] === this.stamp) return slot;
    this.slotStamp[slot] = this.stamp;
    const fields = this.slotFields[slot]!;
    const keys = this.slotKeys[slot]!;
    const values = this.slotValues[slot]!;
    keys.length = 0;
    values.length = 0;
    if (fields.length === 1) {
      // One field: the value is the key (every key of the slot has one value, so none can collide).
      for (const v of this.values(s, fields[0]!)) keys.push(v);
      return slot;
    }
    let combos: string[][] = [[]];
    for (const f of fields) {
      const vs = this.values(s, f);
      combos = combos.flatMap((c) => vs.map((v) => [...c, v]));
    }
    for (const c of combos) {
      keys.push(JSON.stringify(c));
      values.push(c);
    }
    return slot;
  }

  process(s: PreparedSignal): void {
    this.stamp++;
    const d = this.dispatch(s.type);
    for (let r = 0; r < d.rules.length; r++) {
      const rt = d.rules[r]!;
      let mask = d.masks[r]!;
      if (mask & rt.filtered) mask = this.refine(rt, s, mask);
      if (mask === 0) continue;
      const slot = this.keys(rt, s);
      const keys = this.slotKeys[slot]!;
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        let g = rt.groups.get(key);
        if (!g) {
          g = new Group(key, rt.compiled.groupBy.length === 1 ? undefined : this.slotValues[slot]![k]!);
          rt.groups.set(key, g);
        }
        this.step(rt.compiled, g, s.id, s.t, s.seq, mask);
      }
    }
  }

  /** One event object, refilled for each event (valid during the callback only, as its alert): none allocated per signal. */
  private readonly event: EngineEvent = { kind: 'opened', rule: undefined as unknown as CompiledRule, group: [], alert: undefined as unknown as EngineAlert };

  private emit(kind: StepEvent['kind'], rule: CompiledRule, g: Group, alert: EngineAlert): void {
    const e = this.event;
    e.kind = kind;
    e.rule = rule;
    e.group = g.values;
    e.alert = alert;
    this.onEvent(e);
  }

  /** SEMANTICS.md "Evaluation" for one signal of one group: stepGroup's steps, in event-time order. */
  private step(rule: CompiledRule, g: Group, id: string, t: number, seq: number, mask: number): void {
    const n = g.freeIds.length;
    const open = g.episode !== NO_ALERT;
    if ((n > g.head && after(g.free[(n - 1) * STRIDE]!, g.free[(n - 1) * STRIDE + 1]!, t, seq)) || (open && after(g.lastSeen, g.held[g.held.length - 1]!, t, seq))) {
      this.stepLate(rule, g, { id, t, seq, mask });
      return;
    }
    // 1. An open alert that s keeps alive takes s, and nothing else happens.
    if (open) {
      if (t <= g.lastSeen + rule.keepAliveUs && (rule.maxDurationUs === undefined || t - g.firstSeen <= rule.maxDurationUs)) {
        g.ids.push(id);
        g.held.push(t, seq);
        g.lastSeen = t;
        this.emit('appended', rule, g, g);
        return;
      }
      // 2. Otherwise the alert is closed...
      this.emit('closed', rule, g, g);
      g.closeAlert();
    }
    // ...and s becomes a free signal; free signals before the window can never count again.
    const tallied = !rule.ordered && rule.parts.length > 1;
    if (g.freeIds.length === 0) {
      // Array literals are allocated at their exact size; a push onto [] reserves room for 17 or more.
      g.free = [t, seq, mask];
      g.freeIds = [id];
    } else {
      g.free.push(t, seq, mask);
      g.freeIds.push(id);
    }
    if (tallied) g.count(mask, 1);
    const lower = t - rule.windowUs;
    while (g.free[g.head * STRIDE]! < lower) {
      if (tallied) g.count(g.free[g.head * STRIDE + 2]!, -1);
      g.head++;
    }
    if (g.head > 32 && g.head * 2 > g.freeIds.length) {
      g.free = g.free.slice(g.head * STRIDE);
      g.freeIds = g.freeIds.slice(g.head);
      g.head = 0;
    }
    // The window is [t - window, t]: every free signal is in it. 3. Fire: the alert holds them all.
    if (g.size < rule.totalCount || !admits(rule, g)) return;
    const held = new Array<number>(2 * g.size); // exact size, as the free arrays
    for (let i = g.head * STRIDE, j = 0; i < g.free.length; i += STRIDE, j += 2) {
      held[j] = g.free[i]!;
      held[j + 1] = g.free[i + 1]!;
    }
    g.ids = g.head ? g.freeIds.slice(g.head) : g.freeIds;
    g.held = held;
    g.episode = ++g.episodes;
    g.firstSeen = held[0]!;
    g.lastSeen = t;
    g.clearFree();
    this.emit('opened', rule, g, g);
  }

  /** A signal before a later one of its group: stepGroup's general path on the group's JSON-able state. */
  private stepLate(rule: CompiledRule, g: Group, s: { id: string; t: number; seq: number; mask: number }): void {
    const state = g.toState();
    stepGroup(rule, state, s, this.events);
    g.load(state, !rule.ordered && rule.parts.length > 1);
    for (const e of this.events) this.emit(e.kind, rule, g, e.alert === state.open ? g : snapshot(e.alert));
    this.events.length = 0;
  }

  /**
   * Forgets groups that can no longer change: no free signal inside the window of `nowUs`, and no alert that
   * a signal at or after `nowUs` could extend (such an alert is final and reported closed). Keeps memory to
   * in-window state when signals arrive in event-time order.
   */
  evictIdle(nowUs: number): void {
    for (const { compiled: rule, groups } of this.runtimes) {
      for (const [key, g] of groups) {
        const open = g.episode !== NO_ALERT;
        if (open && nowUs <= g.lastSeen + rule.keepAliveUs && (rule.maxDurationUs === undefined || nowUs - g.firstSeen <= rule.maxDurationUs)) continue;
        if (g.size && g.free[(g.freeIds.length - 1) * STRIDE]! >= nowUs - rule.windowUs) continue;
        if (open) this.emit('closed', rule, g, g);
        groups.delete(key);
      }
    }
  }

  /** Reports every alert still open as closed (end of a simulation). */
  closeAll(): void {
    for (const { compiled: rule, groups } of this.runtimes) {
      for (const g of groups.values()) {
        if (g.episode === NO_ALERT) continue;
        this.emit('closed', rule, g, g);
        g.closeAlert();
      }
    }
  }

  groupCount(): number {
    let n = 0;
    for (const rt of this.runtimes) n += rt.groups.size;
    return n;
  }
}

