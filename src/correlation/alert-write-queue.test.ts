import { describe, expect, it } from 'vitest';
import { AlertWriteQueue } from './alert-write-queue.js';
import type { AlertOp } from './alert-writes.js';
import type { StoredAlert } from './alert-store.js';

const at = new Date('2026-12-01T00:00:00Z');
const create = (id: string): AlertOp => ({ kind: 'create', doc: { _id: id, signals: ['s/1'], signalCount: 1, severityRank: 1, artifacts: [], history: [] } as unknown as StoredAlert });
const update = (id: string, key: string, rank = 0): AlertOp => ({
  kind: 'update', id, rank, artifacts: [`a=${key}`], appended: [key], history: [{ at, kind: 'appended', signals: [key] }],
  set: { signals: [key], signalCount: 1, firstSeen: at, lastSeen: at, active: true, updatedAt: at },
});
const ids = (writes: { op: AlertOp }[]) => writes.map((w) => (w.op.kind === 'create' ? `create ${w.op.doc._id}` : `update ${w.op.id} ${w.op.appended.join(',')}`));

describe('AlertWriteQueue', () => {
  it('applies everything at once when not behind, each alert merged into one write', () => {
    const q = new AlertWriteQueue(1_000);
    q.push(0, [create('a'), update('a', 's/2'), update('b', 's/3')]);
    q.push(1, [update('b', 's/4', 3)]);
    const out = q.take(0, false);
    expect(ids(out)).toEqual(['create a', 'update b s/3,s/4']);
    expect(out[1]!.op).toMatchObject({ rank: 3 });
    expect(q.size).toBe(0);
  });

  it('while behind, holds updates (never creates) up to the hold time, merging later ones into them', () => {
    const q = new AlertWriteQueue(1_000);
    q.push(0, [update('a', 's/1'), create('c')]);
    expect(ids(q.take(0, true))).toEqual(['create c']);
    expect(q.size).toBe(1);
    expect(q.has(0)).toBe(true);
    expect(q.has(1)).toBe(false);
    q.push(0, [update('a', 's/2')]);
    expect(ids(q.take(600, true))).toEqual([]);
    // Held since 0: due at 1,000, with both appends in one write.
    expect(ids(q.take(1_000, true))).toEqual(['update a s/1,s/2']);
    expect(q.size).toBe(0);
  });

  it('lets out a partition about to be snapshotted, and takes back writes whose apply failed', () => {
    const q = new AlertWriteQueue(1_000);
    q.push(0, [update('a', 's/1')]);
    q.push(1, [update('b', 's/2')]);
    const out = q.take(0, true, 1);
    expect(ids(out)).toEqual(['update b s/2']);
    expect(q.has(1)).toBe(false);
    q.restore(out);
    expect(q.has(1)).toBe(true);
    expect(ids(q.take(10, false))).toEqual(['update a s/1', 'update b s/2']);
  });

  it('forgets a partition let go, pending and held alike, and keeps the others', () => {
    const q = new AlertWriteQueue(1_000);
    q.push(0, [update('a', 's/1')]);
    q.take(0, true); // held
    q.push(0, [create('c')]);
    q.push(1, [update('b', 's/2')]);
    q.drop(0);
    expect(q.has(0)).toBe(false);
    expect(ids(q.take(10, false))).toEqual(['update b s/2']);
  });
});
