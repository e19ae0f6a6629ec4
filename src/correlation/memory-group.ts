// The groups of one rule in the in-memory engine (memory-engine.ts), as a struct of arrays: a group is a slot
// number (interned from its key once), its scalars live in typed arrays indexed by slot, and its free signals
// and open alert's signals are linked lists in the shared SignalPool. Also the Hall check over a slot, and the
// conversion to and from stepGroup's JSON-able state for the general path.
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

export const NO_ALERT = 0;

const grownInt = (a: Int32Array, n: number) => {
  const b = new Int32Array(n);
  b.set(a);
  return b;
};
const grownFloat = (a: Float64Array, n: number) => {
  const b = new Float64Array(n);
  b.set(a);
  return b;
};

/** One rule's groups. Slots of evicted groups are reused. */
export class GroupTable {
  /** The group's slot by key id (NONE: no group), and each slot's key id (NONE: a vacant slot). */
  private byKey = new Int32Array(64).fill(NONE);
  keyIds = new Int32Array(64).fill(NONE);
  /** Per slot: the values tuple (with one groupBy field made from the key on first use). */
  tuples: (readonly string[] | undefined)[] = [];
  /** Free signals (oldest first) and the open alert's signals: list heads, tails and sizes in the pool. */
  freeHead = new Int32Array(64);
  freeTail = new Int32Array(64);
  freeSize = new Int32Array(64);
  heldHead = new Int32Array(64);
  heldTail = new Int32Array(64);
  heldSize = new Int32Array(64);
  /** The open alert's episode (NO_ALERT when none), and the episodes so far. */
  episode = new Int32Array(64);
  episodes = new Int32Array(64);
  firstSeen = new Float64Array(64);
  lastSeen = new Float64Array(64);
  /** 1 while the slot is in the eviction queue (it is, from its first step until it is forgotten). */
  pending = new Int32Array(64);
  /** Unordered rules of several parts: [mask, count, mask, count...] of the free signals, for the Hall check. */
  tally: number[][] = [];
  /** Groups held. */
  size = 0;
  private vacant: number[] = [];

  constructor(
    readonly rule: CompiledRule,
    readonly pool: SignalPool,
    private readonly intern: KeyIntern,
  ) {}

  /** Unordered with several parts: the free signals are tallied by mask. */
  get tallied(): boolean {
    return !this.rule.ordered && this.rule.parts.length > 1;
  }

  /** The slot of an interned key, made empty if new. */
  slotOf(keyId: number, tuple: readonly string[] | undefined): number {
    if (keyId >= this.byKey.length) {
      const byKey = new Int32Array(Math.max(keyId + 1, this.byKey.length * 2)).fill(NONE);
      byKey.set(this.byKey);
      this.byKey = byKey;
    }
    let slot = this.byKey[keyId]!;
    if (slot !== NONE) return slot;
    slot = this.vacant.pop() ?? NONE;
    if (slot === NONE) {
      slot = this.tuples.length;
      if (slot === this.freeHead.length) this.grow();
      this.tuples.push(tuple);
      this.tally.push([]);
    } else this.tuples[slot] = tuple;
    this.freeHead[slot] = this.freeTail[slot] = this.heldHead[slot] = this.heldTail[slot] = NONE;
    this.freeSize[slot] = this.heldSize[slot] = this.episode[slot] = this.episodes[slot] = this.pending[slot] = 0;
    this.byKey[keyId] = slot;
    this.keyIds[slot] = keyId;
    this.intern.ref(keyId);
    this.size++;
    return slot;
  }

  /** Forgets a group; its signals go back to the pool. */
  remove(slot: number): void {
    this.clearFree(slot);
    this.closeAlert(slot);
    const keyId = this.keyIds[slot]!;
    this.byKey[keyId] = NONE;
    this.keyIds[slot] = NONE;
    this.intern.unref(keyId);
    this.tuples[slot] = undefined;
    this.vacant.push(slot);
    this.size--;
  }

  values(slot: number): readonly string[] {
    return (this.tuples[slot] ??= [this.intern.key(this.keyIds[slot]!)]);
  }

  count(slot: number, mask: number, delta: number): void {
    const tally = this.tally[slot]!;
    for (let i = 0; i < tally.length; i += 2) {
      if (tally[i] === mask) {
        if ((tally[i + 1]! += delta) === 0) tally.splice(i, 2);
        return;
      }
    }
    tally.push(mask, delta);
  }

  clearFree(slot: number): void {
    this.pool.freeList(this.freeHead[slot]!);
    this.freeHead[slot] = this.freeTail[slot] = NONE;
    this.freeSize[slot] = 0;
    this.tally[slot]!.length = 0;
  }

  closeAlert(slot: number): void {
    this.pool.freeList(this.heldHead[slot]!);
    this.heldHead[slot] = this.heldTail[slot] = NONE;
    this.heldSize[slot] = 0;
    this.episode[slot] = NO_ALERT;
  }

  toState(slot: number): GroupState {
    const { pool } = this;
    const free = [];
    const counts: Record<number, number> = {};
    for (let node = this.freeHead[slot]!; node !== NONE; node = pool.next[node]!) {
      const mask = pool.mask[node]!;
      free.push({ id: pool.ids[node]!, t: pool.t[node]!, seq: pool.seq[node]!, mask });
      counts[mask] = (counts[mask] ?? 0) + 1;
    }
    let open: OpenAlert | undefined;
    if (this.episode[slot] !== NO_ALERT) {
      const signals = [];
      for (let node = this.heldHead[slot]!; node !== NONE; node = pool.next[node]!) signals.push({ id: pool.ids[node]!, t: pool.t[node]!, seq: pool.seq[node]! });
      open = { episode: this.episode[slot]!, firstSeen: this.firstSeen[slot]!, lastSeen: this.lastSeen[slot]!, signals };
    }
    return { free, counts, episodes: this.episodes[slot]!, ...(open ? { open } : {}) };
  }

  load(slot: number, state: GroupState): void {
    this.clearFree(slot);
    for (const f of state.free) this.appendFree(slot, f.id, f.t, f.seq, f.mask);
    this.closeAlert(slot);
    const open = state.open;
    if (open) {
      this.episode[slot] = open.episode;
      this.firstSeen[slot] = open.firstSeen;
      this.lastSeen[slot] = open.lastSeen;
      for (const h of open.signals) this.appendHeld(slot, h.id, h.t, h.seq);
    }
    this.episodes[slot] = state.episodes;
  }

  appendFree(slot: number, id: string, t: number, seq: number, mask: number): void {
    const node = this.pool.add(id, t, seq, mask);
    const tail = this.freeTail[slot]!;
    if (tail === NONE) this.freeHead[slot] = node;
    else this.pool.next[tail] = node;
    this.freeTail[slot] = node;
    this.freeSize[slot]!++;
    if (this.tallied) this.count(slot, mask, 1);
  }

  appendHeld(slot: number, id: string, t: number, seq: number): void {
    const node = this.pool.add(id, t, seq, 0);
    const tail = this.heldTail[slot]!;
    if (tail === NONE) this.heldHead[slot] = node;
    else this.pool.next[tail] = node;
    this.heldTail[slot] = node;
    this.heldSize[slot]!++;
  }

  private grow(): void {
    const n = this.freeHead.length * 2;
    this.freeHead = grownInt(this.freeHead, n);
    this.freeTail = grownInt(this.freeTail, n);
    this.freeSize = grownInt(this.freeSize, n);
    this.heldHead = grownInt(this.heldHead, n);
    this.heldTail = grownInt(this.heldTail, n);
    this.heldSize = grownInt(this.heldSize, n);
    this.episode = grownInt(this.episode, n);
    this.episodes = grownInt(this.episodes, n);
    this.pending = grownInt(this.pending, n);
    const keyIds = new Int32Array(n).fill(NONE);
    keyIds.set(this.keyIds);
    this.keyIds = keyIds;
    this.firstSeen = grownFloat(this.firstSeen, n);
    this.lastSeen = grownFloat(this.lastSeen, n);
  }
}

/** The open alert of one slot, as the engine reports it: one view refilled per event, ids read on demand. */
export class AlertView implements EngineAlert {
  table!: GroupTable;
  slot = 0;
  get episode(): number {
    return this.table.episode[this.slot]!;
  }
  get firstSeen(): number {
    return this.table.firstSeen[this.slot]!;
  }
  get lastSeen(): number {
    return this.table.lastSeen[this.slot]!;
  }
  get firstSeq(): number {
    return this.table.pool.seq[this.table.heldHead[this.slot]!]!;
  }
  get ids(): readonly string[] {
    return this.table.pool.idsOf(this.table.heldHead[this.slot]!, this.table.heldSize[this.slot]!);
  }
}

/** A snapshot of an alert stepGroup reported (the general path). */
export function snapshot(open: OpenAlert): EngineAlert {
  return { episode: open.episode, firstSeen: open.firstSeen, lastSeen: open.lastSeen, firstSeq: open.signals[0]!.seq, ids: open.signals.map((h) => h.id) };
}

/** Is (t1, seq1) after (t2, seq2)? */
export const after = (t1: number, seq1: number, t2: number, seq2: number) => t1 > t2 || (t1 === t2 && seq1 > seq2);

/** Can the slot's free signals (all in the window) be assigned to the parts? As engine.ts admits. */
export function admits(table: GroupTable, slot: number): boolean {
  const { rule, pool } = table;
  const parts = rule.parts;
  const n = parts.length;
  if (rule.ordered) {
    let part = 0;
    let need = parts[0]!.count;
    for (let node = table.freeHead[slot]!; node !== NONE; node = pool.next[node]!) {
      if (pool.mask[node]! & (1 << part)) {
        if (--need === 0) {
          if (++part === n) return true;
          need = parts[part]!.count;
        }
      }
    }
    return false;
  }
  if (n === 1) return true;
  const tally = table.tally[slot]!;
  for (let subset = 1; subset < 1 << n; subset++) {
    let available = 0;
    for (let i = 0; i < tally.length; i += 2) if (tally[i]! & subset) available += tally[i + 1]!;
    if (available < rule.demand[subset]!) return false;
  }
  return true;
}
