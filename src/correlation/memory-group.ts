// One (rule, group) of the in-memory engine (memory-engine.ts): its free signals and open alert in flat arrays,
// the Hall check over them, and the conversion to and from stepGroup's JSON-able state for the general path.
import type { GroupState, OpenAlert, StepEvent } from './engine.js';
import type { CompiledRule } from './rule.js';

/** An alert as the engine reports it, `ids` in event-time order: valid during the event's callback only (copy what you keep). */
export interface EngineAlert {
  /** 1 for the group's first alert, 2 for the next...: with the rule key and group, the alert's identity. */
  readonly episode: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The input order (seq) of the alert's first signal. */
  readonly firstSeq: number;
  readonly ids: readonly string[];
}

/** An engine event: the engine refills one object for every event, so it is valid during the callback only. */
export interface EngineEvent {
  kind: StepEvent['kind'];
  rule: CompiledRule;
  /** The normalized groupBy values, in groupBy order. */
  group: readonly string[];
  alert: EngineAlert;
}

export const STRIDE = 3; // free[] holds t, seq, mask per free signal
export const NO_ALERT = 0;
// A group without an open alert shares these (frozen: a push into them would be a bug, and throws).
const NO_IDS: string[] = Object.freeze([]) as unknown as string[];
const NO_TIMES: number[] = Object.freeze([]) as unknown as number[];

/**
 * One (rule, group): its free signals and its open alert, in as few objects as possible (the profile showed the
 * engine bound by memory latency: every object a step touches is a cache miss). The group is its own open
 * alert's EngineAlert while the alert is open, so an event's alert is valid only during the callback.
 */
export class Group implements EngineAlert {
  /** Free signals from `head` on, in (t, seq) order: free[i*3] t, free[i*3+1] seq, free[i*3+2] mask. */
  free: number[] = [];
  freeIds: string[] = [];
  head = 0;
  /** Unordered rules of several parts: [mask, count, mask, count...] of the free signals, for the Hall check. */
  tally: number[] | undefined = undefined;
  /** The open alert: its episode (NO_ALERT when none), times, and held signals ([t, seq] pairs beside the held `ids`). */
  episode = NO_ALERT;
  firstSeen = 0;
  lastSeen = 0;
  ids: string[] = NO_IDS;
  held: number[] = NO_TIMES;
  episodes = 0;

  /** `tuple` with several groupBy fields; with one, the key is the value (no array held per group). */
  constructor(
    private readonly key: string,
    private tuple: readonly string[] | undefined,
  ) {}

  /** The normalized groupBy values (with one field, made on the group's first event and kept). */
  get values(): readonly string[] {
    return (this.tuple ??= [this.key]);
  }

  get size(): number {
    return this.freeIds.length - this.head;
  }

  get firstSeq(): number {
    return this.held[1]!;
  }

  count(mask: number, delta: number): void {
    const tally = (this.tally ??= []);
    for (let i = 0; i < tally.length; i += 2) {
      if (tally[i] === mask) {
        if ((tally[i + 1]! += delta) === 0) tally.splice(i, 2);
        return;
      }
    }
    tally.push(mask, delta);
  }

  clearFree(): void {
    this.free = [];
    this.freeIds = [];
    this.head = 0;
    if (this.tally) this.tally.length = 0;
  }

  toState(): GroupState {
    const free = [];
    const counts: Record<number, number> = {};
    for (let i = this.head; i < this.freeIds.length; i++) {
      const mask = this.free[i * STRIDE + 2]!;
      free.push({ id: this.freeIds[i]!, t: this.free[i * STRIDE]!, seq: this.free[i * STRIDE + 1]!, mask });
      counts[mask] = (counts[mask] ?? 0) + 1;
    }
    const open = this.episode === NO_ALERT ? undefined : { episode: this.episode, firstSeen: this.firstSeen, lastSeen: this.lastSeen, signals: this.ids.map((id, i) => ({ id, t: this.held[2 * i]!, seq: this.held[2 * i + 1]! })) };
    return { free, counts, episodes: this.episodes, ...(open ? { open } : {}) };
  }

  load(state: GroupState, tallied: boolean): void {
    this.clearFree();
    this.tally = undefined;
    for (const f of state.free) {
      this.free.push(f.t, f.seq, f.mask);
      this.freeIds.push(f.id);
      if (tallied) this.count(f.mask, 1);
    }
    this.closeAlert();
    if (state.open) this.openAlert(state.open);
    this.episodes = state.episodes;
  }

  openAlert(open: OpenAlert): void {
    this.episode = open.episode;
    this.firstSeen = open.firstSeen;
    this.lastSeen = open.lastSeen;
    this.ids = open.signals.map((h) => h.id);
    this.held = open.signals.flatMap((h) => [h.t, h.seq]);
  }

  closeAlert(): void {
    this.episode = NO_ALERT;
    this.ids = NO_IDS;
    this.held = NO_TIMES;
  }
}

/** A snapshot of an alert stepGroup reported (the general path). */
export function snapshot(open: OpenAlert): EngineAlert {
  return { episode: open.episode, firstSeen: open.firstSeen, lastSeen: open.lastSeen, firstSeq: open.signals[0]!.seq, ids: open.signals.map((h) => h.id) };
}

/** Is (t1, seq1) after (t2, seq2)? */
export const after = (t1: number, seq1: number, t2: number, seq2: number) => t1 > t2 || (t1 === t2 && seq1 > seq2);

/** Can the group's free signals (all in the window) be assigned to the parts? As engine.ts admits. */
export function admits(rule: CompiledRule, g: Group): boolean {
  const parts = rule.parts;
  const n = parts.length;
  if (rule.ordered) {
    let part = 0;
    let need = parts[0]!.count;
    for (let i = g.head * STRIDE + 2; i < g.free.length; i += STRIDE) {
      if (g.free[i]! & (1 << part)) {
        if (--need === 0) {
          if (++part === n) return true;
          need = parts[part]!.count;
        }
      }
    }
    return false;
  }
  if (n === 1) return true;
  const tally = g.tally!;
  for (let subset = 1; subset < 1 << n; subset++) {
    let available = 0;
    for (let i = 0; i < tally.length; i += 2) if (tally[i]! & subset) available += tally[i + 1]!;
    if (available < rule.demand[subset]!) return false;
  }
  return true;
}
