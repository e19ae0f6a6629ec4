// The groups of one rule in the in-memory engine (memory-engine.ts): a group is its key's interned id, which
// indexes the rule's records directly (no second lookup per rule), and its scalars are one 80-byte record in a
// buffer read both as float64 (times) and int32 (list links, sizes, episodes), so a step touches one or two
// cache lines of its group, not one per field. Its free signals (oldest first) and its open alert's signals
// (the run it opened with, then its appends newest first) are linked lists in the rule's pool of signal nodes
// (a pool per rule: a run of the rule's steps finds its nodes near each other): when an alert opens, the free
// list becomes its list as it is (no node read or copied; with two pools, one for the many cold held signals,
// every opening copied its signals node by node), and an append links its new node to the list's head
// (linking it after the tail wrote the tail's cold node). The record also keeps the time of the first free
// signal and the latest signal stepped, so an in-order step reads the pool only to drop signals that left the
// window. Also the conversion to and from stepGroup's JSON-able state for the general path (the Hall check is
// in memory-admits.ts).
import type { GroupState, OpenAlert, StepEvent } from './group-step.js';
import type { CompiledRule } from './rule.js';
import { NONE, type SignalPool } from './signal-pool.js';
import type { KeyIntern } from './key-intern.js';

/** An alert as the engine reports it, `ids` in event-time order: valid during the event's callback only (copy what you keep). */
export interface EngineAlert {
  /** 1 for the group's first alert, 2 for the next...: with the rule key and group, the alert's identity. */
  readonly episode: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The input order (seq) of the alert's first signal. */
  readonly firstSeq: number;
  /** The alert's signal ids; with the engine's `holdIds: false`, only those the event adds (none when closed). */
  readonly ids: readonly string[];
}

/** An engine event: the engine refills one object for every event, so it is valid during the callback only. */
export interface EngineEvent {
  kind: StepEvent['kind'];
  rule: CompiledRule;
  /** The normalized groupBy values, in groupBy order. */
  group: readonly string[];
  /** The group's record in its rule's table: no other group of the rule has it while its alert is open. */
  slot: number;
  alert: EngineAlert;
}

export const NO_ALERT = 0;
export const NO_IDS: readonly string[] = Object.freeze([]);

/** A record's stride in float64 and in int32 elements (80 bytes). */
export const F = 10;
export const I = 20;
// Float64 fields: the open alert's first and last event time; the latest signal stepped into the group (t, seq),
// which a signal must follow to take the in-order path; the event time of the first free signal (Infinity: none).
export const FIRST_SEEN = 0;
export const LAST_SEEN = 1;
export const LAST_T = 2;
export const LAST_SEQ = 3;
export const HEAD_T = 4;
// Int32 fields, after the five float64: the free list's head, tail and size (oldest first); the open alert's
// signals: the head and tail of the run it opened with (oldest first), the signals appended since, newest first
// and linked on to that head (so an append writes only its new node, never the cold tail: HELD_NEWEST is the
// whole list's head, the run's head when nothing was appended), and their number; the open alert's episode
// (NO_ALERT: none) and the episodes so far; USED: 0 for a vacant record, else 1, or 3 once the group is in the
// eviction queue (from its first step until it is forgotten).
export const FREE_HEAD = 10;
export const FREE_TAIL = 11;
export const FREE_SIZE = 12;
export const HELD_HEAD = 13;
export const HELD_TAIL = 14;
export const HELD_SIZE = 15;
export const EPISODE = 16;
export const EPISODES = 17;
export const HELD_NEWEST = 18;
export const USED = 19;
/** USED's bit for a group in the eviction queue. */
export const PENDING = 2;

/** Unordered rules of up to this many parts count their free signals per mask in a typed array. */
const MAX_COUNTED_PARTS = 4;

/** One rule's groups, by key id (a record for every id of the rule's groupBy; ids are recycled by the intern). */
export class GroupTable {
  private buffer = new ArrayBuffer(64 * F * 8);
  /** The records, as float64 and as int32 (replaced when they grow: read them after `slotOf`). */
  f = new Float64Array(this.buffer);
  i = new Int32Array(this.buffer);
  /**
   * Unordered rules of several parts, for the Hall check: with up to MAX_COUNTED_PARTS parts, the free signals
   * per part mask at [slot * stride + mask] of `counts`; with more, a [mask, count, mask, count...] list per slot.
   */
  readonly tallied: boolean;
  readonly stride: number;
  counts = new Int32Array(0);
  tally: number[][] = [];
  /** Groups held. */
  size = 0;
  /** Pool nodes in open alerts' lists (the rest of the pool's nodes in use are free signals). */
  heldNodes = 0;
  /** With `holdIds` false: the ids the current event adds (AlertView.ids), and the array an append reuses. */
  added: readonly string[] = NO_IDS;
  private readonly one: string[] = [''];

  /**
   * `holdIds` false: an open alert keeps only its first signal's node (for firstSeq), not its ids: each event
   * reports the ids it adds, and whoever needs them keeps them (the simulator spills them to disk).
   */
  constructor(
    readonly rule: CompiledRule,
    readonly pool: SignalPool,
    private readonly intern: KeyIntern,
    readonly holdIds = true,
  ) {
    const n = rule.parts.length;
    this.tallied = !rule.ordered && n > 1;
    this.stride = this.tallied && n <= MAX_COUNTED_PARTS ? 1 << n : 0;
    this.counts = new Int32Array(64 * this.stride);
  }

  /** Records allocated (held or vacant). */
  get slots(): number {
    return this.f.length / F;
  }

  /** The group of an interned key (its slot is the key id), made empty if new. */
  slotOf(slot: number): number {
    if (slot * F >= this.f.length) this.grow(slot + 1);
    if (this.i[slot * I + USED] !== 0) return slot;
    if (this.tallied && !this.stride) this.tally[slot] = [];
    const f = this.f;
    const i = this.i;
    const fb = slot * F;
    const ib = slot * I;
    f[fb + FIRST_SEEN] = f[fb + LAST_SEEN] = 0;
    f[fb + LAST_T] = f[fb + LAST_SEQ] = -Infinity;
    f[fb + HEAD_T] = Infinity;
    i[ib + FREE_HEAD] = i[ib + FREE_TAIL] = i[ib + HELD_HEAD] = i[ib + HELD_TAIL] = i[ib + HELD_NEWEST] = NONE;
    i[ib + FREE_SIZE] = i[ib + HELD_SIZE] = i[ib + EPISODE] = i[ib + EPISODES] = 0;
    i[ib + USED] = 1;
    this.intern.ref(slot);
    this.size++;
    return slot;
  }

  /** Forgets a group; its signals go back to the pool. */
  remove(slot: number): void {
    this.clearFree(slot);
    this.closeAlert(slot);
    this.i[slot * I + USED] = 0;
    this.intern.unref(slot);
    this.size--;
  }

  values(slot: number): readonly string[] {
    return this.intern.values(slot);
  }

  isOpen(slot: number): boolean {
    return this.i[slot * I + EPISODE] !== NO_ALERT;
  }

  /** Adds `delta` free signals of part mask `mask` to the slot's tally (tallied rules only). */
  count(slot: number, mask: number, delta: number): void {
    if (this.stride) {
      this.counts[slot * this.stride + mask]! += delta;
      return;
    }
    const tally = this.tally[slot]!;
    for (let i = 0; i < tally.length; i += 2) {
      if (tally[i] === mask) {
        if ((tally[i + 1]! += delta) === 0) tally.splice(i, 2);
        return;
      }
    }
    tally.push(mask, delta);
  }

  /** The slot's free signals are gone (dropped or now the open alert's): empty list and tally. */
  emptyFree(slot: number): void {
    const ib = slot * I;
    this.i[ib + FREE_HEAD] = this.i[ib + FREE_TAIL] = NONE;
    this.i[ib + FREE_SIZE] = 0;
    this.f[slot * F + HEAD_T] = Infinity;
    if (this.stride) {
      // A loop, not counts.fill: a call into the runtime cost more than the few entries it clears.
      const counts = this.counts;
      for (let k = slot * this.stride, end = k + this.stride; k < end; k++) counts[k] = 0;
    } else if (this.tallied) this.tally[slot]!.length = 0;
  }

  clearFree(slot: number): void {
    const ib = slot * I;
    this.pool.releaseList(this.i[ib + FREE_HEAD]!, this.i[ib + FREE_TAIL]!, this.i[ib + FREE_SIZE]!);
    this.emptyFree(slot);
  }

  closeAlert(slot: number): void {
    const ib = slot * I;
    // Without `holdIds` the list is one node, the alert's first. The whole list runs from the newest append
    // to the opening run's tail.
    const head = this.i[ib + HELD_NEWEST]!;
    if (head !== NONE) {
      const nodes = this.holdIds ? this.i[ib + HELD_SIZE]! : 1;
      this.pool.releaseList(head, this.i[ib + HELD_TAIL]!, nodes);
      this.heldNodes -= nodes;
    }
    this.i[ib + HELD_HEAD] = this.i[ib + HELD_TAIL] = this.i[ib + HELD_NEWEST] = NONE;
    this.i[ib + HELD_SIZE] = 0;
    this.i[ib + EPISODE] = NO_ALERT;
  }

  /** Sets the latest signal stepped from the lists (after the general path or a forced close). */
  resetLast(slot: number): void {
    const { f, i } = this;
    let t = -Infinity;
    let seq = -Infinity;
    const pool = this.pool;
    for (const last of [i[slot * I + FREE_TAIL]!, this.heldLast(slot)]) {
      if (last !== NONE && after(pool.t(last), pool.seq(last), t, seq)) {
        t = pool.t(last);
        seq = pool.seq(last);
      }
    }
    f[slot * F + LAST_T] = t;
    f[slot * F + LAST_SEQ] = seq;
  }

  toState(slot: number): GroupState {
    const { pool, f, i } = this;
    const free = [];
    const counts: Record<number, number> = {};
    for (let node = i[slot * I + FREE_HEAD]!; node !== NONE; node = pool.next(node)) {
      const mask = pool.mask(node);
      free.push({ id: pool.ids[node]!, t: pool.t(node), seq: pool.seq(node), mask });
      counts[mask] = (counts[mask] ?? 0) + 1;
    }
    let open: OpenAlert | undefined;
    if (this.isOpen(slot)) {
      const signals = this.heldOrder(slot, (node) => ({ id: pool.ids[node]!, t: pool.t(node), seq: pool.seq(node) }));
      open = { episode: i[slot * I + EPISODE]!, firstSeen: f[slot * F + FIRST_SEEN]!, lastSeen: f[slot * F + LAST_SEEN]!, signals };
    }
    return { free, counts, episodes: i[slot * I + EPISODES]!, ...(open ? { open } : {}) };
  }

  load(slot: number, state: GroupState): void {
    this.clearFree(slot);
    for (const s of state.free) this.appendFree(slot, s.id, s.t, s.seq, s.mask);
    this.closeAlert(slot);
    const open = state.open;
    if (open) {
      this.i[slot * I + EPISODE] = open.episode;
      this.f[slot * F + FIRST_SEEN] = open.firstSeen;
      this.f[slot * F + LAST_SEEN] = open.lastSeen;
      for (const h of open.signals) this.appendHeld(slot, h.id, h.t, h.seq);
    }
    this.i[slot * I + EPISODES] = state.episodes;
    this.resetLast(slot);
  }

  appendFree(slot: number, id: string, t: number, seq: number, mask: number): void {
    const pool = this.pool;
    const node = pool.add(id, t, seq, mask);
    const ib = slot * I;
    const i = this.i;
    const tail = i[ib + FREE_TAIL]!;
    if (tail === NONE) {
      i[ib + FREE_HEAD] = node;
      this.f[slot * F + HEAD_T] = t;
    } else pool.link(tail, node);
    i[ib + FREE_TAIL] = node;
    i[ib + FREE_SIZE]!++;
    if (this.tallied) this.count(slot, mask, 1);
  }

  /** Adds a signal after the open alert's others. */
  appendHeld(slot: number, id: string, t: number, seq: number): void {
    if (!this.holdIds && this.i[slot * I + HELD_SIZE]! > 0) {
      this.i[slot * I + HELD_SIZE]!++;
      this.one[0] = id;
      this.added = this.one;
      return;
    }
    const pool = this.pool;
    const node = pool.add(id, t, seq, 0);
    const ib = slot * I;
    const i = this.i;
    const newest = i[ib + HELD_NEWEST]!;
    if (newest === NONE) i[ib + HELD_HEAD] = i[ib + HELD_TAIL] = node;
    else pool.link(node, newest);
    i[ib + HELD_NEWEST] = node;
    i[ib + HELD_SIZE]!++;
    this.heldNodes++;
  }

  /** The slot's free signals become its open alert's (which has none): the free list is now the alert's. */
  holdFree(slot: number): void {
    const { pool, i } = this;
    const ib = slot * I;
    const head = i[ib + FREE_HEAD]!;
    const size = i[ib + FREE_SIZE]!;
    let tail = i[ib + FREE_TAIL]!;
    if (!this.holdIds) {
      // Only the first node is kept (firstSeq); the ids go out with the 'opened' event.
      this.added = pool.idsOf(head, size);
      if (size > 1) pool.releaseList(pool.next(head), tail, size - 1);
      pool.link(head, NONE);
      tail = head;
      this.heldNodes++;
    } else this.heldNodes += size;
    i[ib + HELD_HEAD] = i[ib + HELD_NEWEST] = head;
    i[ib + HELD_TAIL] = tail;
    i[ib + HELD_SIZE] = size;
    // The nodes are the alert's now: the free list is only emptied, none of them released.
    this.emptyFree(slot);
  }

  /** The open alert's latest held node (NONE: none): the newest append, or the opening run's tail. */
  heldLast(slot: number): number {
    const newest = this.i[slot * I + HELD_NEWEST]!;
    return newest === this.i[slot * I + HELD_HEAD] ? this.i[slot * I + HELD_TAIL]! : newest;
  }

  /** What `pick` gives for each of the open alert's nodes, oldest first: its opening run, then its appends
   * (linked newest first) placed from the end. */
  heldOrder<T>(slot: number, pick: (node: number) => T): T[] {
    const { pool, i } = this;
    const head = i[slot * I + HELD_HEAD]!;
    const out = new Array<T>(i[slot * I + HELD_SIZE]!);
    let k = 0;
    for (let node = head; node !== NONE; node = pool.next(node)) out[k++] = pick(node);
    k = out.length;
    for (let node = i[slot * I + HELD_NEWEST]!; node !== head; node = pool.next(node)) out[--k] = pick(node);
    return out;
  }

  private grow(least: number): void {
    const slots = Math.max(least, (this.f.length / F) * 2);
    const buffer = new ArrayBuffer(slots * F * 8);
    new Uint8Array(buffer).set(new Uint8Array(this.buffer));
    this.buffer = buffer;
    this.f = new Float64Array(buffer);
    this.i = new Int32Array(buffer);
    if (this.stride) {
      const counts = new Int32Array(slots * this.stride);
      counts.set(this.counts);
      this.counts = counts;
    }
  }
}

/** The open alert of one slot, as the engine reports it: one view refilled per event, ids read on demand. */
export class AlertView implements EngineAlert {
  table!: GroupTable;
  slot = 0;
  get episode(): number {
    return this.table.i[this.slot * I + EPISODE]!;
  }
  get firstSeen(): number {
    return this.table.f[this.slot * F + FIRST_SEEN]!;
  }
  get lastSeen(): number {
    return this.table.f[this.slot * F + LAST_SEEN]!;
  }
  get firstSeq(): number {
    return this.table.pool.seq(this.table.i[this.slot * I + HELD_HEAD]!);
  }
  get ids(): readonly string[] {
    if (!this.table.holdIds) return this.table.added;
    const ids = this.table.pool.ids;
    return this.table.heldOrder(this.slot, (node) => ids[node]!);
  }
}

/** A snapshot of an alert stepGroup reported (the general path). */
export function snapshot(open: OpenAlert): EngineAlert {
  return { episode: open.episode, firstSeen: open.firstSeen, lastSeen: open.lastSeen, firstSeq: open.signals[0]!.seq, ids: open.signals.map((h) => h.id) };
}

/** Is (t1, seq1) after (t2, seq2)? */
export const after = (t1: number, seq1: number, t2: number, seq2: number) => t1 > t2 || (t1 === t2 && seq1 > seq2);
