// The in-memory correlation engine (the simulator's and the backtest's): every (rule, group) state of a stream
// held in memory and stepped in event-time order. Same semantics as engine.ts stepGroup, laid out for speed:
// a signal's artifact values and group keys are computed once per signal (signal-keys.ts); rules are
// dispatched by signal type with their type-only part mask precomputed; a group is its key's interned id
// (key-intern.ts), which indexes its rule's table of 80-byte records, its free signals and its open alert's
// signals linked lists in one pool of nodes (memory-group.ts, signal-pool.ts): no object per signal or per
// group step, a step touches its record and the pool nodes it links or drops; idle groups leave through a queue
// (evict-queue.ts), and their keys and nodes are reused, so what the engine holds is bounded by the windows
// (see `retained`).
//
// A signal that arrives before a later one of its group (a backtest's ties within a millisecond) takes the
// general path: the group is turned into stepGroup's JSON-able state, stepped there, and turned back.
import { stepGroup, type PreparedSignal, type StepEvent } from './group-step.js';
import { admits } from './memory-admits.js';
import { after, AlertView, GroupTable, NO_ALERT, NO_IDS, snapshot, type EngineAlert, type EngineEvent } from './memory-group.js';
import { EPISODE, EPISODES, F, FIRST_SEEN, FREE_HEAD, FREE_SIZE, FREE_TAIL, HEAD_T, I, LAST_SEEN, LAST_SEQ, LAST_T, PENDING, USED } from './memory-group.js';
import { EvictQueue } from './evict-queue.js';
import { NONE, SignalPool } from './signal-pool.js';
import { SignalKeys } from './signal-keys.js';
import type { CompiledRule } from './rule.js';

export type { EngineAlert, EngineEvent };

export interface EngineRetained {
  groups: number;
  /** Distinct group keys interned (across the distinct groupBys). */
  keys: number;
  /** Signals that may still count toward an alert. */
  freeSignals: number;
  /** Signals of open alerts. */
  heldSignals: number;
  /** Group records allocated (held or vacant): never shrinks, grows only past the most groups held at once. */
  groupRecords: number;
  /** Signal nodes allocated (in use or vacant): likewise. */
  poolNodes: number;
}

interface RuleRuntime {
  compiled: CompiledRule;
  /** Index of the rule's groupBy among the distinct groupBys (rules that share one share its keys). */
  slot: number;
  groups: GroupTable;
  /** Steps of its groups in arrival order, for idle eviction. */
  queue: EvictQueue;
  /** Parts with a source, severity or where condition: their bits need more than the type to be decided. */
  filtered: number;
}

interface Dispatch {
  rules: RuleRuntime[];
  /** The parts each rule's type conditions allow, beside `rules`. */
  masks: number[];
}

const CACHE_LIMIT = 100_000;

export interface EngineOptions {
  /**
   * False: open alerts do not keep their signal ids (memory that would grow with a stream that keeps an alert
   * alive); each event's `alert.ids` are only those it adds, and signals must come in (t, seq) order.
   */
  holdIds?: boolean;
}

/** All rules' group states in memory. Emits every event to `onEvent`; feed it signals in event-time order. */
export class CorrelationEngine {
  private readonly runtimes: RuleRuntime[];
  private readonly byType = new Map<string, Dispatch>();
  private readonly keys = new SignalKeys();
  /** The signal's steps, (rule index in its dispatch, group, part mask), found before any is taken. */
  private stepRule = new Int32Array(64);
  private stepGroup = new Int32Array(64);
  private stepMask = new Int32Array(64);
  /** The signal's part mask for each rule of its dispatch (0: it takes no part). */
  private readonly ruleMask: Int32Array;
  private readonly events: StepEvent[] = [];
  /** Free signals and open alerts' signals: see memory-group.ts. */
  private readonly pool = new SignalPool();

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly onEvent: (event: EngineEvent) => void,
    options: EngineOptions = {},
  ) {
    this.ruleMask = new Int32Array(rules.length);
    this.runtimes = rules.map((compiled) => {
      const slot = this.keys.slot(compiled.groupBy);
      let filtered = 0;
      compiled.parts.forEach((p, i) => {
        if (p.sources || p.severities || p.where) filtered |= 1 << i;
        for (const [field] of p.where ?? []) this.keys.field(field);
      });
      return { compiled, slot, groups: new GroupTable(compiled, this.pool, this.keys.intern(slot), options.holdIds ?? true), queue: new EvictQueue(), filtered };
    });
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

  /**
   * Three passes: the rules' part masks and the signal's key ids (one intern lookup per distinct groupBy),
   * then each step's group record, then the steps, in the same (rule, key) order. The lookups are reads of
   * memory that is mostly not in cache, independent within a pass, so issued together they wait for memory
   * together instead of one after another (a record's address needs its key's id: hence two passes for them).
   */
  process(s: PreparedSignal): void {
    const signalKeys = this.keys;
    signalKeys.next();
    const d = this.dispatch(s.type);
    const ruleMask = this.ruleMask;
    for (let r = 0; r < d.rules.length; r++) {
      const rt = d.rules[r]!;
      let mask = d.masks[r]!;
      if (mask & rt.filtered) mask = signalKeys.refine(rt.compiled.parts, rt.filtered, s, mask);
      if (mask !== 0) signalKeys.keys(rt.slot, s);
      ruleMask[r] = mask;
    }
    let steps = 0;
    for (let r = 0; r < d.rules.length; r++) {
      const mask = ruleMask[r]!;
      if (mask === 0) continue;
      const rt = d.rules[r]!;
      const count = signalKeys.keys(rt.slot, s);
      const keys = signalKeys.ids(rt.slot);
      if (steps + count > this.stepRule.length) this.growSteps(steps + count);
      for (let k = 0; k < count; k++, steps++) {
        this.stepRule[steps] = r;
        this.stepGroup[steps] = rt.groups.slotOf(keys[k]!);
        this.stepMask[steps] = mask;
      }
    }
    for (let j = 0; j < steps; j++) this.step(d.rules[this.stepRule[j]!]!, this.stepGroup[j]!, s.id, s.t, s.seq, this.stepMask[j]!);
  }

  private growSteps(least: number): void {
    const n = Math.max(least, this.stepRule.length * 2);
    const grown = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.stepRule = grown(this.stepRule);
    this.stepGroup = grown(this.stepGroup);
    this.stepMask = grown(this.stepMask);
  }

  /** One event object and one alert view, refilled for each event (valid during the callback only): none allocated per signal. */
  private readonly view = new AlertView();
  private readonly event = new EventView(this.view);

  /** Emits an event of the slot's open alert (`alert` given: a snapshot from the general path). */
  private emit(kind: StepEvent['kind'], table: GroupTable, slot: number, alert?: EngineAlert): void {
    const e = this.event;
    e.kind = kind;
    e.rule = table.rule;
    e.slot = slot;
    if (kind === 'closed') table.added = NO_IDS;
    this.view.table = table;
    this.view.slot = slot;
    e.alert = alert ?? this.view;
    this.onEvent(e);
  }

  /** SEMANTICS.md "Evaluation" for one signal of one group: stepGroup's steps, in event-time order. */
  private step(rt: RuleRuntime, g: number, id: string, t: number, seq: number, mask: number): void {
    const rule = rt.compiled;
    const table = rt.groups;
    const f = table.f;
    const i = table.i;
    const fb = g * F;
    const ib = g * I;
    if ((i[ib + USED]! & PENDING) === 0) {
      rt.queue.push(g, t);
      i[ib + USED]! |= PENDING;
    }
    const latest = f[fb + LAST_T]!;
    if (after(latest, f[fb + LAST_SEQ]!, t, seq)) {
      this.stepLate(table, g, { id, t, seq, mask });
      return;
    }
    f[fb + LAST_T] = t;
    f[fb + LAST_SEQ] = seq;
    // 1. An open alert that s keeps alive takes s, and nothing else happens.
    if (i[ib + EPISODE] !== NO_ALERT) {
      if (t <= f[fb + LAST_SEEN]! + rule.keepAliveUs && (rule.maxDurationUs === undefined || t - f[fb + FIRST_SEEN]! <= rule.maxDurationUs)) {
        table.appendHeld(g, id, t, seq);
        f[fb + LAST_SEEN] = t;
        this.emit('appended', table, g);
        return;
      }
      // 2. Otherwise the alert is closed...
      this.emit('closed', table, g);
      table.closeAlert(g);
    }
    // ...and s becomes a free signal; free signals before the window can never count again.
    const lower = t - rule.windowUs;
    if (f[fb + HEAD_T]! < lower) {
      // No free signal is after the latest one stepped: if that one is before the window, so are they all,
      // and the list goes back in one splice, none of its nodes read.
      if (latest < lower) table.clearFree(g);
      else this.dropBefore(table, g, lower);
    }
    table.appendFree(g, id, t, seq, mask);
    // The window is [t - window, t]: every free signal is in it. 3. Fire: the alert holds them all.
    if (i[ib + FREE_SIZE]! < rule.totalCount || !admits(table, g)) return;
    f[fb + FIRST_SEEN] = f[fb + HEAD_T]!;
    f[fb + LAST_SEEN] = t;
    i[ib + EPISODE] = ++i[ib + EPISODES]!;
    table.holdFree(g);
    this.emit('opened', table, g);
  }

  /** Drops the slot's free signals before `lower` (the front of its list). */
  private dropBefore(table: GroupTable, g: number, lower: number): void {
    const pool = this.pool;
    const i = table.i;
    const ib = g * I;
    const tallied = table.tallied;
    const first = i[ib + FREE_HEAD]!;
    let head = first;
    let last = NONE;
    let dropped = 0;
    while (head !== NONE && pool.t(head) < lower) {
      if (tallied) table.count(g, pool.mask(head), -1);
      last = head;
      head = pool.next(head);
      dropped++;
    }
    // The dropped nodes go back to the pool in one splice (nodes already read: no walk to free them).
    pool.releaseList(dropped ? first : NONE, last, dropped);
    if (head === NONE) table.emptyFree(g);
    else {
      i[ib + FREE_HEAD] = head;
      i[ib + FREE_SIZE]! -= dropped;
      table.f[g * F + HEAD_T] = pool.t(head);
    }
  }

  /** A signal before a later one of its group: stepGroup's general path on the group's JSON-able state. */
  private stepLate(table: GroupTable, g: number, s: { id: string; t: number; seq: number; mask: number }): void {
    if (!table.holdIds) throw new Error('a signal came before a later one of its group, with holdIds false');
    const state = table.toState(g);
    stepGroup(table.rule, state, s, this.events);
    table.load(g, state);
    for (const e of this.events) this.emit(e.kind, table, g, e.alert === state.open ? undefined : snapshot(e.alert));
    this.events.length = 0;
  }

  /**
   * No free signal inside the window of `nowUs`, and no alert that a signal at or after `nowUs` could extend.
   * Without an open alert the newest free signal is the latest stepped (LAST_T, in the record: no pool read).
   */
  private idle(rule: CompiledRule, table: GroupTable, g: number, nowUs: number): boolean {
    const f = table.f;
    if (!table.isOpen(g)) return f[g * F + LAST_T]! < nowUs - rule.windowUs;
    if (nowUs <= f[g * F + LAST_SEEN]! + rule.keepAliveUs && (rule.maxDurationUs === undefined || nowUs - f[g * F + FIRST_SEEN]! <= rule.maxDurationUs)) return false;
    const tail = table.i[g * I + FREE_TAIL]!;
    return tail === NONE || this.pool.t(tail) < nowUs - rule.windowUs;
  }

  /**
   * Forgets groups that can no longer change: no free signal inside the window of `nowUs`, and no alert that
   * a signal at or after `nowUs` could extend (such an alert is final and reported closed). Keeps memory to
   * in-window state when signals arrive in event-time order. Each group is queued once, at its first step;
   * only groups at the queue's front, queued longer ago than the rule's window and keep-alive, are looked at:
   * an idle one is forgotten, a busy one queued again at its latest signal. A call costs what it looks at.
   */
  evictIdle(nowUs: number): void {
    for (const { compiled: rule, groups: table, queue } of this.runtimes) {
      const span = Math.max(rule.windowUs, rule.keepAliveUs);
      while (queue.size && queue.frontTime() + span < nowUs) {
        const g = queue.shift();
        if (!this.idle(rule, table, g, nowUs)) {
          // Stepped since it was queued: queued again at its latest signal, behind the others.
          queue.push(g, table.f[g * F + LAST_T]!);
          continue;
        }
        if (table.isOpen(g)) this.emit('closed', table, g);
        table.remove(g);
      }
    }
  }

  /** Reports every alert still open as closed (end of a simulation). */
  closeAll(): void {
    for (const { groups: table } of this.runtimes) {
      for (let g = 0; g < table.slots; g++) {
        if (table.i[g * I + USED] === 0 || !table.isOpen(g)) continue;
        this.emit('closed', table, g);
        table.closeAlert(g);
        table.resetLast(g);
      }
    }
  }

  groupCount(): number {
    let n = 0;
    for (const rt of this.runtimes) n += rt.groups.size;
    return n;
  }

  /** Signals held in memory (free or in open alerts). */
  heldSignals(): number {
    return this.pool.live;
  }

  /**
   * What the engine holds. With evictIdle called as signals go, all of it is bounded by what the windows
   * and keep-alives cover, whatever the number of signals seen, except `heldSignals`: an alert holds every
   * signal appended to it (the output lists them), so one that a steady stream keeps alive, with no
   * maxDuration, grows with the stream.
   */
  retained(): EngineRetained {
    let groups = 0;
    let groupRecords = 0;
    let heldSignals = 0;
    for (const rt of this.runtimes) {
      groups += rt.groups.size;
      groupRecords += rt.groups.slots;
      heldSignals += rt.groups.heldNodes;
    }
    return { groups, keys: this.keys.size(), freeSignals: this.pool.live - heldSignals, heldSignals, groupRecords, poolNodes: this.pool.capacity };
  }
}

/** The engine's one event object: its group's values are looked up only if the callback reads them. */
class EventView implements EngineEvent {
  kind: StepEvent['kind'] = 'opened';
  rule = undefined as unknown as CompiledRule;
  slot = 0;
  alert: EngineAlert;
  constructor(private readonly view: AlertView) {
    this.alert = view;
  }
  get group(): readonly string[] {
    return this.view.table.values(this.view.slot);
  }
}
