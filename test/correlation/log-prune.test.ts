// The correlation store's housekeeping on the real database: a partition's log is pruned below its durable
// snapshot, a writer whose position is stale never lands in the pruned prefix (where no owner reads), and a
// snapshot over the document size limit is refused loudly (metric, error log) instead of crashing the owner.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Collection } from 'mongodb';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { openTestDatabase } from '../support/db.js';
import { entryId, floorId, PartitionLog, pruneCovered, type LogEntry, type LogFloor } from '../../src/correlation/partition-log.js';
import { SnapshotWriter, type GroupEntry } from '../../src/correlation/snapshots.js';
import { emptyGroupState } from '../../src/correlation/engine.js';

describe('correlation log pruning and snapshot size', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('logprune');
  });
  afterAll(async () => {
    await database?.drop();
  });
  const entries = (p: number, n: number) => database.db.collection<LogEntry>('correlation_log').find({ _id: { $in: Array.from({ length: n }, (_, i) => entryId(p, i)) } }).toArray();
  const seqs = async (p: number, n: number) => (await entries(p, n)).map((e) => e.seq).sort((a, b) => a - b);

  it('deletes the entries below the position, keeps the rest, and continues from where the last prune stopped', async () => {
    const log = new PartitionLog(database.db);
    for (let i = 0; i < 6; i++) await log.append(new Map([[1, [`k${i}`]]]));
    expect(await seqs(1, 10)).toEqual([0, 1, 2, 3, 4, 5]);

    expect(await log.prune(1, 3)).toBe(3);
    expect(await seqs(1, 10)).toEqual([3, 4, 5]);
    expect(await database.db.collection<LogFloor>('correlation_log').findOne({ _id: floorId(1) })).toMatchObject({ floor: 3, pruned: 3 });
    // A lower position (an older snapshot) never moves the floor back; a higher one deletes only what is new.
    expect(await log.prune(1, 2)).toBe(0);
    expect(await log.prune(1, 5)).toBe(2);
    expect(await seqs(1, 10)).toEqual([5]);
  });

  it('numbers concurrent appends of two writers without a hole or a repeat, each append with its own batch', async () => {
    // Two writers (as two processes), each with 15 appends in flight at once over partitions 7 and 8: a writer's
    // own appends are written together, and the writers race each other for numbers through the unique _id.
    const writers = [new PartitionLog(database.db), new PartitionLog(database.db)];
    const results = await Promise.all(
      writers.flatMap((log, w) => Array.from({ length: 15 }, (_, i) => log.append(new Map([[7, [`w${w}-${i}`]], [8, [`w${w}-${i}`, `x${w}-${i}`]]])))),
    );
    for (const p of [7, 8]) expect(await seqs(p, 40)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const stored = new Map([...(await entries(7, 30)), ...(await entries(8, 30))].map((e) => [e._id, e]));
    for (const written of results) {
      expect(written.map((e) => e.p).sort()).toEqual([7, 8]);
      expect(new Set(written.map((e) => e.batch)).size).toBe(1);
      for (const e of written) expect(stored.get(e._id)).toMatchObject({ batch: e.batch, keys: e.keys });
    }
    expect(new Set(results.map((w) => w[0]!.batch)).size).toBe(30);
  });

  it('moves a writer with a stale position above the floor, so its entry is where the owner reads', async () => {
    const log = new PartitionLog(database.db);
    for (let i = 0; i < 4; i++) await log.append(new Map([[2, [`a${i}`]]]));
    await log.prune(2, 3);
    // A new replica knows no position: its first try is number 0, free again since the prune.
    const fresh = new PartitionLog(database.db);
    const [entry] = await fresh.append(new Map([[2, ['late']]]));
    expect(entry!.seq).toBe(4);
    const stored = await entries(2, 10);
    expect(stored.find((e) => e.seq === 4)?.keys).toEqual(['late']);
    // The stray copy below the floor is never read (the owner starts at its snapshot's position).
    expect(stored.filter((e) => e.seq >= 3).map((e) => e.seq)).toEqual([3, 4]);
  });

  it('reads no floor for an entry at or above where the floor is known to be at most, and reads it below that', async () => {
    const log = new PartitionLog(database.db);
    for (let i = 0; i < 4; i++) await log.append(new Map([[5, [`b${i}`]]]));
    await log.prune(5, 3);
    const find = vi.spyOn(Collection.prototype, 'find');
    try {
      // The owner (floor at most its position, 3) appends at 4: one round trip, no floor read.
      const owner = new PartitionLog(database.db, (p) => (p === 5 ? 3 : undefined));
      owner.advance(5, 4);
      const [own] = await owner.append(new Map([[5, ['own']]]));
      expect(own!.seq).toBe(4);
      expect(find).not.toHaveBeenCalled();
      // A writer whose first try (0, in the pruned prefix) is below that bound reads the floor and moves above it.
      const stale = new PartitionLog(database.db, (p) => (p === 5 ? 3 : undefined));
      const [late] = await stale.append(new Map([[5, ['late']]]));
      expect(late!.seq).toBe(5);
      expect(find).toHaveBeenCalledTimes(1);
    } finally {
      find.mockRestore();
    }
    expect((await entries(5, 10)).find((e) => e.seq === 5)?.keys).toEqual(['late']);
  });

  it('prunes an owned partition only a term after taking it, below the snapshot written in that ownership', async () => {
    const log = new PartitionLog(database.db);
    for (let i = 0; i < 5; i++) await log.append(new Map([[3, [`b${i}`]]]));
    const now = Date.now();
    const written = new Map([[3, { cursor: 4, at: now - 10 }]]);
    await pruneCovered(log, written, new Map([[3, { loadedAt: now - 500 }]]), 1_000, now);
    expect(await seqs(3, 10)).toEqual([0, 1, 2, 3, 4]);
    // A snapshot of an earlier ownership does not count.
    await pruneCovered(log, written, new Map([[3, { loadedAt: now - 5 }]]), 0, now);
    expect(await seqs(3, 10)).toEqual([0, 1, 2, 3, 4]);
    await pruneCovered(log, written, new Map([[3, { loadedAt: now - 2_000 }]]), 1_000, now);
    expect(await seqs(3, 10)).toEqual([4]);
  });

  it('refuses a snapshot over the size limit with a metric and an error, writes the others, and records only those', async () => {
    const registry = new Registry();
    const logged: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const writer = new SnapshotWriter(database.db, 'owner-a', logger, { registry, maxBytes: 20_000 });
    // Random names: the snapshot is gzipped, so only what does not compress makes it large.
    const group = (i: number): GroupEntry => ({ ruleKey: 'r@1', group: [`user${i}-${randomBytes(16).toString('hex')}`], state: emptyGroupState() });
    const big = new Map(Array.from({ length: 1000 }, (_, i) => [`g${i}-${randomBytes(16).toString('hex')}`, group(i)] as const));
    const small = new Map([['g0', group(0)]]);
    writer.capture(10, 7, big);
    writer.capture(11, 9, small);
    await writer.flush();

    expect(await writer.collection.findOne({ _id: '10' })).toBeNull();
    expect((await writer.collection.findOne({ _id: '11' }))?.cursor).toBe(9);
    expect([...writer.written.keys()]).toEqual([11]);
    expect(await registry.getSingleMetricAsString('taser_correlation_snapshot_too_large_total')).toContain('taser_correlation_snapshot_too_large_total{partition="10"} 1');
    expect(logged).toEqual([expect.objectContaining({ partition: 10, limit: 20_000, groups: 1000, msg: expect.stringContaining('too large') })]);
  });

  it('writes a partition as one gzipped blob, loads it and the older form (groups as documents) alike, and paces by bytes', async () => {
    const writer = new SnapshotWriter(database.db, 'owner-c', pino({ level: 'silent' }), { bytesPerSec: 1_000 });
    const state = { ...emptyGroupState(), free: [{ id: 'test/a', t: 1_700_000_000_000_000, seq: 3_000_001, mask: 1 }], counts: { 1: 1 }, episodes: 2 };
    const groups = new Map<string, GroupEntry>([['r@1\u0001["alice"]', { ruleKey: 'r@1', group: ['alice'], state }]]);
    expect(writer.due()).toBe(true);
    writer.capture(20, 5, groups);
    expect(writer.due()).toBe(false); // one at a time
    await writer.flush();
    const doc = await writer.collection.findOne({ _id: '20' });
    expect(doc).toMatchObject({ cursor: 5, count: 1 });
    expect(doc!.groups).toBeUndefined();
    expect(await writer.load(20)).toEqual({ cursor: 5, groups });
    // Its bytes at 1,000/s: the next one is not due at once.
    expect(writer.due()).toBe(false);
    expect(writer.due(Date.now() + 60_000)).toBe(true);
    // A snapshot written by an earlier version: the groups as an array of documents.
    await writer.collection.insertOne({ _id: '21', cursor: 8, groups: [{ id: 'g', ruleKey: 'r@1', group: ['bob'], state }], owner: 'old', at: new Date() });
    expect(await writer.load(21)).toEqual({ cursor: 8, groups: new Map([['g', { ruleKey: 'r@1', group: ['bob'], state }]]) });
  });

  it('says loudly when a loaded snapshot is older than the pruned log (a late snapshot beyond the assumed bound)', async () => {
    const logged: { msg: string; partition: number }[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const writer = new SnapshotWriter(database.db, 'owner-b', logger);
    writer.capture(1, 7, new Map());
    await writer.flush();
    expect((await writer.load(1)).cursor).toBe(7);
    expect(logged).toEqual([]);
    // Partition 1's log is pruned below 5 (first test); a snapshot at 2 lands late.
    writer.capture(1, 2, new Map());
    await writer.flush();
    await writer.load(1);
    expect(logged).toEqual([expect.objectContaining({ partition: 1, msg: expect.stringContaining('older than the pruned log') })]);
  });
});
