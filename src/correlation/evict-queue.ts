// Idle eviction without a scan: a group is queued as (group slot, event time) at its first step, and eviction
// pops only the entries old enough that their group may be idle; a group still busy goes to the back with the
// time of its latest signal. One entry per group, and the work is proportional to the groups that went quiet
// or were looked at, not to all the groups held. The queue is nearly in time order, not exactly (a busy group
// goes back at its latest signal; a flush of the engine's steps takes a rule's groups in key order): a group
// behind one not yet old enough waits for a later eviction. That costs memory for a while, and no alert: an
// idle group cannot change, so forgetting it later changes only its numbers (the record it has, and the
// episode of its next alert, which restarts at 1 in a group forgotten and made again).

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
