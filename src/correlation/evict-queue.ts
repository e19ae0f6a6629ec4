// Idle eviction without a scan: a group is queued as (group slot, event time) at its first step, and eviction
// pops only the entries old enough that their group may be idle; a group still busy goes to the back with the
// time of its latest signal. One entry per group, and the work is proportional to the groups that went quiet
// or were looked at, not to all the groups held. The queue is nearly in time order, not exactly (a busy group
// goes back at its latest signal): a group behind one not yet old enough waits for a later eviction. That costs
// memory for a while, and no alert: an idle group cannot change, so forgetting it later changes only its numbers
// (the record it has, and the episode of its next alert, which restarts at 1 in a group forgotten and made
// again). A flush takes a rule's steps by group, so the groups it steps first are queued when the rule's run
// ends, in arrival order (FirstSteps): in the order taken, the groups the 1M-signal bench held at its end were
// 8% more.
import { F, FIRST_SEEN, FREE_TAIL, I, LAST_SEEN, LAST_T, type GroupTable } from './memory-group.js';
import type { CompiledRule } from './rule.js';
import { NONE } from './signal-pool.js';
import { SlotOrder } from './slot-order.js';
import { grown } from './grown.js';

/** `latest` of a group looked at and forgotten. */
const GONE = -Infinity;

/** A FIFO of (slot, time) pairs in two growable ring buffers. */
export class EvictQueue {
  private slots = new Int32Array(1024);
  private times = new Float64Array(1024);
  private head = 0;
  size = 0;

  push(slot: number, t: number): void {
    if (this.size === this.slots.length) this.grow();
    const at = (this.head + this.size) & (this.slots.length - 1);
    this.slots[at] = slot;
    this.times[at] = t;
    this.size++;
  }

  /** The oldest entry's time (only when size > 0). */
  frontTime(): number {
    return this.times[this.head]!;
  }

  /** Removes the oldest entry and returns its slot (only when size > 0). */
  shift(): number {
    const slot = this.slots[this.head]!;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.size--;
    return slot;
  }

  private grow(): void {
    const n = this.slots.length * 2;
    const slots = new Int32Array(n);
    const times = new Float64Array(n);
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) & (this.slots.length - 1);
      slots[i] = this.slots[at]!;
      times[i] = this.times[at]!;
    }
    this.slots = slots;
    this.times = times;
    this.head = 0;
  }
}

/**
 * No free signal inside the window of `nowUs`, and no alert that a signal at or after `nowUs` could extend.
 * Without an open alert the newest free signal is the latest stepped (LAST_T, in the record: no pool read).
 */
function idle(rule: CompiledRule, table: GroupTable, g: number, nowUs: number): boolean {
  const f = table.f;
  if (!table.isOpen(g)) return f[g * F + LAST_T]! < nowUs - rule.windowUs;
  if (nowUs <= f[g * F + LAST_SEEN]! + rule.keepAliveUs && (rule.maxDurationUs === undefined || nowUs - f[g * F + FIRST_SEEN]! <= rule.maxDurationUs)) return false;
  const tail = table.i[g * I + FREE_TAIL]!;
  return tail === NONE || table.pool.t(tail) < nowUs - rule.windowUs;
}

/** The in-memory engine's eviction of one rule's idle groups, with buffers kept from one call to the next. */
export class Eviction {
  private readonly bySlot = new SlotOrder();
  /** The groups looked at, in queue order; the latest signal of each found busy (GONE: forgotten). */
  private looked = new Int32Array(1024);
  private latest = new Float64Array(1024);
  private evicting = false;

  /**
   * Forgets the rule's groups at the queue's front, queued longer ago than its window and keep-alive, that
   * are idle (`closed` first, for one with an open alert); the busy ones go back in the queue at their latest
   * signal, in the order they were queued. They are looked at in slot order (slot-order.ts): their records
   * front to back, where in queue order each was a cache miss (eviction took half the time). When `closed`
   * throws, its group is forgotten all the same, and the groups not yet looked at stay queued.
   */
  evict(rule: CompiledRule, table: GroupTable, queue: EvictQueue, nowUs: number, closed: (table: GroupTable, g: number) => void): void {
    if (this.evicting) throw new Error('the correlation engine was told to evict from its own event callback');
    const span = Math.max(rule.windowUs, rule.keepAliveUs);
    let count = 0;
    while (queue.size && queue.frontTime() + span < nowUs) {
      if (count === this.looked.length) this.grow();
      this.looked[count++] = queue.shift();
    }
    if (count === 0) return;
    const looked = this.looked;
    const latest = this.latest;
    latest.fill(NaN, 0, count);
    const order = this.bySlot.sort(looked, count);
    // The buffers are this call's until it returns: a callback that evicted again would overwrite them.
    this.evicting = true;
    try {
      for (let k = 0; k < count; k++) {
        const j = order[k]!;
        const g = looked[j]!;
        if (!idle(rule, table, g, nowUs)) {
          latest[j] = table.f[g * F + LAST_T]!;
          continue;
        }
        latest[j] = GONE;
        try {
          if (table.isOpen(g)) closed(table, g);
        } finally {
          table.remove(g);
        }
      }
    } finally {
      this.evicting = false;
      for (let j = 0; j < count; j++) {
        const at = latest[j]!;
        // Not looked at (NaN: a callback threw) or busy: queued again at its latest signal, behind the others.
        if (at !== GONE) queue.push(looked[j]!, Number.isNaN(at) ? table.f[looked[j]! * F + LAST_T]! : at);
      }
    }
  }

  private grow(): void {
    this.looked = grown(this.looked);
    this.latest = new Float64Array(this.looked.length);
  }
}

/** The groups a rule's run of steps stepped first, queued for eviction in arrival order when the run ends. */
export class FirstSteps {
  private slots = new Int32Array(256);
  /** The index of each one's first signal in the step queue: arrival order. */
  private signals = new Int32Array(256);
  private times = new Float64Array(256);
  private count = 0;
  private readonly bySignal = new SlotOrder();

  add(slot: number, signal: number, t: number): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[this.count] = slot;
    this.signals[this.count] = signal;
    this.times[this.count++] = t;
  }

  /** Queues what was added, in the order of its signals, and forgets it. */
  pushTo(queue: EvictQueue): void {
    const order = this.bySignal.sort(this.signals, this.count, true);
    for (let k = 0; k < this.count; k++) queue.push(this.slots[order[k]!]!, this.times[order[k]!]!);
    this.count = 0;
  }

  private grow(): void {
    this.slots = grown(this.slots);
    this.signals = grown(this.signals);
    this.times = grown(this.times);
  }
}
