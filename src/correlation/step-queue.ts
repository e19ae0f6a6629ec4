// The in-memory engine's pending steps (memory-engine.ts): a signal taken by `process` is matched and its group
// keys interned at once, and its steps (group, part mask) wait here in its rules' lists, beside its id, event
// time and input order; `flush` then steps them rule by rule, and each rule's by group: a run of one rule's steps
// stays in its table of records, where signal by signal each step went to another rule's table (in-process A/B,
// median +23%), and in increasing group order it reads that table front to back (slot-order.ts; A/B median
// +7-10%).
// Each group still sees its signals in arrival order, so its events are those of signal-by-signal stepping;
// only events of different groups come in another order (by rule, then group) within one flush.
import { SlotOrder } from './slot-order.js';
import { grown } from './grown.js';

/**
 * Signals queued before `full()` says to flush. More is faster (longer runs per rule) but `taser simulate`
 * holds their ids beside everything else: its peak at 1M lines was 144 MiB at 16,384, 148-150 at 24,576 and
 * 151-157 at 32,767 (target 150). At most 2^15 - 1 signals, so that a signal's index and a part mask (16
 * parts at most) share an int32.
 */
export const QUEUED_SIGNALS = 16_384;
const MASK_BITS = 16;
const MASK = (1 << MASK_BITS) - 1;
const MAX_SIGNALS = 2 ** (31 - MASK_BITS) - 1;

export class StepQueue {
  /** Per rule: its queued steps' group key ids, and (signal index << MASK_BITS | part mask); their number. */
  private readonly groups: Int32Array[];
  private readonly packed: Int32Array[];
  private readonly counts: Int32Array;
  /** Per signal: its id, event time and input order. Ids of flushed signals stay referenced until overwritten. */
  private readonly ids: string[];
  private readonly t: Float64Array;
  private readonly seq: Float64Array;
  private signals = 0;
  private steps = 0;

  constructor(
    rules: number,
    private readonly capacity = QUEUED_SIGNALS,
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= MAX_SIGNALS)) throw new Error(`queued signals: an integer from 1 to ${MAX_SIGNALS}`);
    this.ids = new Array<string>(capacity).fill('');
    this.t = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.groups = Array.from({ length: rules }, () => new Int32Array(256));
    this.packed = Array.from({ length: rules }, () => new Int32Array(256));
    this.counts = new Int32Array(rules);
  }

  private draining = false;
  /** The order a rule's steps are taken in: by group (slot-order.ts), each group's in arrival order. */
  private readonly byGroup = new SlotOrder();

  /** Queues a signal (before its steps); returns its index. Only when not `full()`. */
  addSignal(id: string, t: number, seq: number): number {
    if (this.draining) throw new Error('the correlation engine was fed or flushed from its own event callback');
    if (this.signals === this.capacity) throw new Error('the step queue is full: flush it first');
    const n = this.signals++;
    this.ids[n] = id;
    this.t[n] = t;
    this.seq[n] = seq;
    return n;
  }

  addStep(rule: number, group: number, mask: number, signal: number): void {
    const k = this.counts[rule]!;
    if (k === this.groups[rule]!.length) this.grow(rule);
    this.groups[rule]![k] = group;
    this.packed[rule]![k] = (signal << MASK_BITS) | mask;
    this.counts[rule] = k + 1;
    this.steps++;
  }

  /** Time to flush: the signal arrays are full. */
  full(): boolean {
    return this.signals === this.capacity;
  }

  get empty(): boolean {
    return this.steps === 0;
  }

  /**
   * Calls `step` for each queued step (with its signal's index: arrival order), rule by rule, and `ruleDone`
   * after each rule's, and empties the queue. A rule's steps are taken in increasing group order, each group's
   * in arrival order. When a step throws, the steps after it stay queued
   * for the next drain, in the order they would have been taken (none is lost, none taken twice). Nothing may
   * be queued while it drains: `step` emits the engine's events, and a callback that fed the engine would
   * reorder its signals.
   */
  drain(step: (rule: number, group: number, id: string, t: number, seq: number, mask: number, signal: number) => void, ruleDone: (rule: number) => void): void {
    if (this.draining) throw new Error('the correlation engine was fed or flushed from its own event callback');
    this.draining = true;
    const { ids, t, seq, counts } = this;
    try {
      for (let r = 0; r < counts.length; r++) {
        const count = counts[r]!;
        if (count === 0) continue;
        const groups = this.groups[r]!;
        const packed = this.packed[r]!;
        const order = this.byGroup.sort(groups, count);
        let k = 0;
        try {
          for (; k < count; k++) {
            const j = order[k]!;
            const p = packed[j]!;
            const n = p >>> MASK_BITS;
            step(r, groups[j]!, ids[n]!, t[n]!, seq[n]!, p & MASK, n);
          }
        } catch (err) {
          this.keep(r, order, k + 1, count);
          throw err;
        } finally {
          ruleDone(r);
        }
        counts[r] = 0;
        this.steps -= count;
      }
    } finally {
      this.draining = false;
    }
    this.signals = 0;
  }

  /** After a step threw: the rule's steps from order[from] on become its queue, in that order. */
  private keep(rule: number, order: Int32Array, from: number, count: number): void {
    const groups = this.groups[rule]!;
    const packed = this.packed[rule]!;
    const left = count - from;
    const g = new Int32Array(left);
    const p = new Int32Array(left);
    for (let k = 0; k < left; k++) {
      g[k] = groups[order[from + k]!]!;
      p[k] = packed[order[from + k]!]!;
    }
    groups.set(g);
    packed.set(p);
    this.counts[rule] = left;
    this.steps -= from;
  }

  private grow(rule: number): void {
    this.groups[rule] = grown(this.groups[rule]!);
    this.packed[rule] = grown(this.packed[rule]!);
  }
}
