// The alert writes of stepped entries, on their way to the store, and the updates held back while correlation is
// behind. At 1,000 signals/s a hot alert (a group that keeps matching) is updated in many rounds, and each update
// rewrites the whole alert document and its indexes on the server; held for up to a second and merged, it is
// written once instead. Only while there is a backlog (rounds follow each other at once): otherwise every write
// goes out at the end of its round. Creates are never held (a new alert is what people wait for). Nothing held is
// only here: a partition's snapshot is taken after its writes went out (`take` with that partition), so a crash
// replays them from the log.
import { coalesce, merge, type AlertOp, type UpdateOp } from './alert-writes.js';

/** How long an update may be held at most. */
export const HOLD_MS = 1_000;

/** An alert write and the partition whose stepping made it (an alert's writes all come from one partition). */
export interface PartitionOp {
  p: number;
  op: AlertOp;
}

export class AlertWriteQueue {
  private pending: PartitionOp[] = [];
  /** Held updates by alert id, merged, with when the first of them was held. */
  private readonly held = new Map<string, { p: number; op: UpdateOp; since: number }>();

  constructor(private readonly holdMs = HOLD_MS) {}

  /** Writes not yet taken. */
  get size(): number {
    return this.pending.length + this.held.size;
  }

  /** Whether writes of partition p are waiting (its snapshot must wait for them). */
  has(p: number): boolean {
    return this.pending.some((w) => w.p === p) || [...this.held.values()].some((h) => h.p === p);
  }

  push(p: number, ops: AlertOp[]): void {
    for (const op of ops) this.pending.push({ p, op });
  }

  /**
   * Forgets partition p's writes: its lease was lost (or its memory is half-stepped). Its next owner replays them
   * from its snapshot, which never covers writes still here; applied late, after that owner's newer writes, they
   * would set the alert back.
   */
  drop(p: number): void {
    this.pending = this.pending.filter((w) => w.p !== p);
    for (const [id, h] of this.held) if (h.p === p) this.held.delete(id);
  }

  /** Writes taken whose apply failed: first in line again (they are idempotent). */
  restore(writes: PartitionOp[]): void {
    this.pending = [...writes, ...this.pending];
  }

  /**
   * What to apply now, each alert's writes merged into one: every create, and the updates not held. With `hold`,
   * an update stays held until it has waited `holdMs`, unless it is of `flush` (a partition about to be
   * snapshotted); without, nothing stays.
   */
  take(now: number, hold: boolean, flush?: number): PartitionOp[] {
    const partitionOf = new Map(this.pending.map((w) => [w.op.kind === 'create' ? w.op.doc._id : w.op.id, w.p]));
    const out: PartitionOp[] = [];
    for (const op of coalesce(this.pending.map((w) => w.op))) {
      const id = op.kind === 'create' ? op.doc._id : op.id;
      const p = partitionOf.get(id)!;
      const prev = this.held.get(id);
      if (op.kind === 'create') {
        // A replayed create of an alert with held updates (after a reload): the create first, then those.
        out.push({ p, op });
        continue;
      }
      this.held.set(id, { p, op: prev ? merge(prev.op, op) : op, since: prev?.since ?? now });
    }
    this.pending = [];
    for (const [id, { p, op, since }] of this.held) {
      if (hold && now - since < this.holdMs && p !== flush) continue;
      out.push({ p, op });
      this.held.delete(id);
    }
    return out;
  }
}
