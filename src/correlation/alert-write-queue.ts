// Alert updates held back while correlation is behind. At 1,000 signals/s a hot alert (a group that keeps
// matching) is updated in nearly every round, and each update rewrites the whole alert document and its indexes
// on the server; held for up to a second and merged, it is written about once a second instead. Only while there
// is a backlog (rounds follow each other at once): otherwise every write goes out at the end of its round. Creates
// are never held (a new alert is what people wait for). Nothing held is only here: the partition's snapshot is
// taken after the queue is emptied, so a crash replays these writes from the log.
import { coalesce, merge, type AlertOp, type UpdateOp } from './alert-writes.js';

/** How long an update may be held at most. */
export const HOLD_MS = 1_000;

export class AlertWriteQueue {
  /** Held updates by alert id, merged, with when the first of them was held. */
  private readonly held = new Map<string, { op: UpdateOp; since: number }>();

  constructor(private readonly holdMs = HOLD_MS) {}

  /** Updates held now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Adds a round's writes; returns what to apply now: every create, and the held updates that are due (all of
   * them when not `busy`), each alert's writes merged into one.
   */
  take(ops: AlertOp[], now: number, busy: boolean): AlertOp[] {
    const out: AlertOp[] = [];
    for (const op of coalesce(ops)) {
      if (op.kind === 'create') {
        out.push(op);
        continue;
      }
      const prev = this.held.get(op.id);
      this.held.set(op.id, { op: prev ? merge(prev.op, op) : op, since: prev?.since ?? now });
    }
    for (const [id, { op, since }] of this.held) {
      if (busy && now - since < this.holdMs) continue;
      out.push(op);
      this.held.delete(id);
    }
    return out;
  }
}
