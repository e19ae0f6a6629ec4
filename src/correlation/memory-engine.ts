// The in-memory correlation engine (the simulator's and the backtest's): every (rule, group) state of a stream
// held in memory and stepped in event-time order. Same semantics as engine.ts stepGroup, laid out for speed:
// a signal's artifact values and group keys are computed once per signal (signal-keys.ts); rules are
// dispatched by signal type with their type-only part mask precomputed; a group is its key's interned id
// (key-intern.ts), which indexes its rule's table of 80-byte records, its free signals and its open alert's
// signals linked lists in its rule's pool of nodes (memory-group.ts, signal-pool.ts): no object per signal or
// per group step, a step touches its record and the pool nodes it links or drops; idle groups leave through a queue
// (evict-queue.ts), and their keys and nodes are reused, so what the engine holds is bounded by the windows
// (see `retained`). A signal's steps wait in a queue and are taken rule by rule, each rule's by group
// (step-queue.ts): a run of one rule's steps reads its table front to back, where signal by signal each step
// went to another rule's table, somewhere in it.
//
// A signal that arrives before a later one of its group (a backtest's ties within a millisecond) takes the
// general path: the group is turned into stepGroup's JSON-able state, stepped there, and turned back.
import { stepGroup, type PreparedSignal, type StepEvent } from './group-step.js';
import { admits } from './memory-admits.js';
import { after, AlertView, GroupTable, NO_ALERT, NO_IDS, snapshot, type EngineAlert, type EngineEvent } from './memory-group.js';
import { EPISODE, EPISODES, F, FIRST_SEEN, FREE_HEAD, FREE_SIZE, FREE_TAIL, HEAD_T, I, LAST_SEEN, LAST_SEQ, LAST_T, PENDING, USED } from './memory-group.js';
import { EvictQueue, Eviction, FirstSteps } from './evict-queue.js';
import { NONE, SignalPool } from './signal-pool.js';
import { SignalKeys } from './signal-keys.js';
import { StepQueue } from './step-queue.js';
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
  /** Its groups by the time of their first step, for idle eviction. */
  queue: EvictQueue;
  /** Parts with a source, severity or where condition: their bits need more than the type to be decided. */
  filtered: number;
  /** Its index in `rules`. */
  index: number;
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
  /** Signals queued before their steps are taken (step-queue.ts; default QUEUED_SIGNALS). */
  queuedSignals?: number;
}

/** All rules' group states in memory. Emits every event to `onEvent`; feed it signals in event-time order. */
export class CorrelationEngine {
  private readonly runtimes: RuleRuntime[];
  private readonly byType = new Map<string, Dispatch>();
  private readonly keys = new SignalKeys();
  /** Signals taken and not yet stepped. */
  private readonly pending: StepQueue;
  private readonly events: StepEvent[] = [];
  private readonly eviction = new Eviction();
  private readonly firstSteps = new FirstSteps();

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly onEvent: (event: EngineEvent) => void,
    options: EngineOptions = {},
  ) {
    this.pending = new StepQueue(rules.length, options.queuedSignals);
    this.runtimes = rules.map((compiled, index) => {
      const slot = this.keys.slot(compiled.groupBy);
      let filtered = 0;
      compiled.parts.forEach((p, i) => {
        if (p.sources || p.severities || p.where) filtered |= 1 << i;
        for (const [field] of p.where ?? []) this.keys.field(field);
      });
      return { compiled, slot, groups: new GroupTable(compiled, new SignalPool(), this.keys.intern(slot), options.holdIds ?? true), queue: new EvictQueue(), filtered, index };
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
   * Takes a signal: which parts of which rules it matches and its group keys (interned once per distinct
   * groupBy) now, its steps when the queue is flushed (step-queue.ts): by `flush`, `evictIdle`, `closeAll`, the
   * counts, or when the next signal finds the queue full. Events come then: each group's in the order of its
   * signals; within one flush a rule's before the next rule's, and a rule's group by group.
   */
  process(s: PreparedSignal): void {
    // Flushed before this signal is queued: if a callback throws, this signal is not taken half-way.
    if (this.pending.full()) this.flush();
    const signalKeys = this.keys;
    signalKeys.next();
    const d = this.dispatch(s.type);
    const pending = this.pending;
    let signal = -1;
    for (let r = 0; r < d.rules.length; r++) {
      const rt = d.rules[r]!;
      let mask = d.masks[r]!;
      if (mask & rt.filtered) mask = signalKeys.refine(rt.compiled.parts, rt.filtered, s, mask);
      if (mask === 0) continue;
      const count = signalKeys.keys(rt.slot, s);
      if (count === 0) continue;
      if (signal < 0) signal = pending.addSignal(s.id, s.t, s.seq);
      const keys = signalKeys.ids(rt.slot);
      for (let k = 0; k < count; k++) pending.addStep(rt.index, keys[k]!, mask, signal);
    }
  }

  /** Steps the queued signals: one rule after another, each rule's group by group, each group's in arrival order. */
  flush(): void {
    if (!this.pending.empty) this.pending.drain(this.stepQueued, this.ruleStepped);
  }

  private readonly stepQueued = (rule: number, key: number, id: string, t: number, seq: number, mask: number, signal: number): void => {
    const rt = this.runtimes[rule]!;
    this.step(rt, rt.groups.slotOf(key), id, t, seq, mask, signal);
  };

  /** A rule's run of steps is done: the groups it stepped first join its eviction queue, in arrival order. */
  private readonly ruleStepped = (rule: number): void => this.firstSteps.pushTo(this.runtimes[rule]!.queue);

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
  private step(rt: RuleRuntime, g: number, id: string, t: number, seq: number, mask: number, signal: number): void {
    const rule = rt.compiled;
    const table = rt.groups;
    const f = table.f;
    const i = table.i;
    const fb = g * F;
    const ib = g * I;
    if ((i[ib + USED]! & PENDING) === 0) {
      this.firstSteps.add(g, signal, t);
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
    const pool = table.pool;
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
   * Forgets groups that can no longer change: no free signal inside the window of `nowUs`, and no alert that
   * a signal at or after `nowUs` could extend (such an alert is final and reported closed). Keeps memory to
   * in-window state when signals arrive in event-time order. Each group is queued once, at its first step;
   * only groups at the queue's front, queued longer ago than the rule's window and keep-alive, are looked at:
   * an idle one is forgotten, a busy one queued again at its latest signal (evict-queue.ts). A call costs what
   * it looks at.
   */
  evictIdle(nowUs: number): void {
    // Every queued step first, of every rule: a queued step holds its key's id, and forgetting a group may free
    // that id for another key (rules with the same groupBy share the ids). Evicting a rule right after its own
    // run of steps, before the next rule's, corrupted the groups that way.
    this.flush();
    for (const { compiled, groups, queue } of this.runtimes) this.eviction.evict(compiled, groups, queue, nowUs, this.closed);
  }

  private readonly closed = (table: GroupTable, g: number): void => this.emit('closed', table, g);

  /** Reports every alert still open as closed (end of a simulation). */
  closeAll(): void {
    this.flush();
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
    this.flush();
    let n = 0;
    for (const rt of this.runtimes) n += rt.groups.size;
    return n;
  }

  /** Signals held in memory (free or in open alerts). */
  heldSignals(): number {
    this.flush();
    let n = 0;
    for (const rt of this.runtimes) n += rt.groups.pool.live;
    return n;
  }

  /**
   * What the engine holds. With evictIdle called as signals go, all of it is bounded by what the windows
   * and keep-alives cover, whatever the number of signals seen, except `heldSignals`: an alert holds every
   * signal appended to it (the output lists them), so one that a steady stream keeps alive, with no
   * maxDuration, grows with the stream.
   */
  retained(): EngineRetained {
    this.flush();
    let groups = 0;
    let groupRecords = 0;
    let heldSignals = 0;
    let live = 0;
    let poolNodes = 0;
    for (const rt of this.runtimes) {
      live += rt.groups.pool.live;
      poolNodes += rt.groups.pool.capacity;
      groups += rt.groups.size;
      groupRecords += rt.groups.slots;
      heldSignals += rt.groups.heldNodes;
    }
    return { groups, keys: this.keys.size(), freeSignals: live - heldSignals, heldSignals, groupRecords, poolNodes };
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
