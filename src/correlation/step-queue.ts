// The in-memory engine's pending steps (memory-engine.ts): a signal taken by `process` is matched and its group
// keys interned at once, and its steps (group, part mask) wait here in its rules' lists, beside its id, event
// time and input order; `flush` then steps them rule by rule, each rule's in arrival order. A rule's groups are
// one table of records (10,000 groups: under a megabyte), so a run of its steps finds them in cache and in the
// TLB, where taken signal by signal each step went to another rule's table, and 20 rules' tables (and their
// pages) are more than the cache holds: the engine bench measured a fifth more signals per second (in-process
// A/B, median +23%).
// Each group still sees its signals in arrival order, so its events are those of signal-by-signal stepping;
// only events of different rules come in another order (by rule, then arrival) within one flush.

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
  /** Where the next drain starts: after the step that threw, if one did. */
  private fromRule = 0;
  private fromStep = 0;

  /** Queues a signal (before its steps); returns its index. */
  addSignal(id: string, t: number, seq: number): number {
    if (this.draining) throw new Error('the correlation engine was fed or flushed from its own event callback');
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
   * Calls `step` for each queued step, rule by rule, each rule's in arrival order, and empties the queue. When
   * a step throws, the steps after it stay queued for the next drain (none is lost, none taken twice). Nothing
   * may be queued while it drains: `step` emits the engine's events, and a callback that fed the engine would
   * reorder its signals.
   */
  drain(step: (rule: number, group: number, id: string, t: number, seq: number, mask: number) => void): void {
    if (this.draining) throw new Error('the correlation engine was fed or flushed from its own event callback');
    this.draining = true;
    const { ids, t, seq } = this;
    let r = this.fromRule;
    let k = this.fromStep;
    try {
      for (; r < this.counts.length; r++, k = 0) {
        const groups = this.groups[r]!;
        const packed = this.packed[r]!;
        const count = this.counts[r]!;
        for (; k < count; k++) {
          const p = packed[k]!;
          const n = p >>> MASK_BITS;
          step(r, groups[k]!, ids[n]!, t[n]!, seq[n]!, p & MASK);
        }
      }
    } catch (err) {
      this.fromRule = r;
      this.fromStep = k + 1;
      throw err;
    } finally {
      this.draining = false;
    }
    this.counts.fill(0);
    this.signals = 0;
    this.steps = 0;
    this.fromRule = 0;
    this.fromStep = 0;
  }

  private grow(rule: number): void {
    const grown = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.groups[rule] = grown(this.groups[rule]!);
    this.packed[rule] = grown(this.packed[rule]!);
  }
}
