// The hash-chained case log on a real database: a chain verifies; an entry changed, re-hashed or removed in
// the collection is found at the right sequence number; two stores on two connections appending at once
// write one unbroken chain (the unique event _id is the arbiter).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/store/mongo.js';
import { CaseStore, eventId } from '../../src/cases/store.js';
import { GENESIS_HASH, canonicalJson, entryHash } from '../../src/cases/chain.js';
import { openTestDatabase, testMongoUri } from '../support/db.js';
import { casesOn } from './helpers.js';

const soc = { actor: 'USOC1', isMember: async () => true };

describe('case log hash chain', { timeout: 600_000 }, () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let second: Database;
  let store: CaseStore;

  beforeAll(async () => {
    db = await openTestDatabase('chain');
    const cases = casesOn(db.db);
    await cases.ensureIndexes();
    store = cases.store;
    second = await connectDatabase(testMongoUri(), { dbName: db.db.databaseName });
  });
  afterAll(async () => {
    await second?.close();
    await db?.drop();
  });

  async function newCase(title: string) {
    return casesOn(db.db).service.create(soc, { title, severity: 'low' });
  }

  it('chains every event of a case and verifies it; the case shows the head', async () => {
    const c = await newCase('Chained');
    await store.appendEvent(c._id, 'U1', 'updated', { changes: { title: 'Renamed', assignee: null } });
    await store.appendEvent(c._id, 'U1', 'closed', { resolution: 'false_positive', summary: 'ok' });
    const events = await store.eventsAfter(c._id, 0);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(events[2]!.hash).toBe(entryHash({ ...events[2]!, prevHash: events[1]!.hash }));
    const result = await store.verify((await store.get(c._id))!);
    expect(result).toEqual({ ok: true, entries: 3, head: events[2]!.hash });
    expect((await store.get(c._id))!.headHash).toBe(events[2]!.hash);
  });

  it('finds a changed payload, a replaced hash, and a removed entry at the right sequence number', async () => {
    const c = await newCase('Tampered');
    for (let i = 0; i < 5; i++) await store.appendEvent(c._id, 'U1', 'alerts_added', { alertIds: [`a${i}`] });
    const ok = await store.verify((await store.get(c._id))!);
    expect(ok).toMatchObject({ ok: true, entries: 6 });

    await store.events.updateOne({ _id: eventId(c._id, 3) }, { $set: { 'data.alertIds': ['evil'] } });
    expect(await store.verify((await store.get(c._id))!)).toMatchObject({ ok: false, seq: 3, problem: 'hash_mismatch', entries: 2 });

    // Re-hashing the changed entry moves the break to the next one, whose prevHash no longer matches.
    const e3 = (await store.events.findOne({ _id: eventId(c._id, 3) }))!;
    await store.events.updateOne({ _id: e3._id }, { $set: { hash: entryHash(e3) } });
    expect(await store.verify((await store.get(c._id))!)).toMatchObject({ ok: false, seq: 4, problem: 'prev_hash_mismatch' });

    await store.events.deleteOne({ _id: eventId(c._id, 2) });
    expect(await store.verify((await store.get(c._id))!)).toMatchObject({ ok: false, seq: 2, problem: 'seq_gap' });
  });

  it('reports removed last entries and entries without a hash', async () => {
    const c = await newCase('Truncated');
    await store.appendEvent(c._id, 'U1', 'reopened', {});
    await store.events.deleteOne({ _id: eventId(c._id, 2) });
    expect(await store.verify((await store.get(c._id))!)).toMatchObject({ ok: false, seq: 2, problem: 'truncated' });

    const d = await newCase('Old entry');
    await store.events.updateOne({ _id: eventId(d._id, 1) }, { $unset: { hash: '' } });
    const r = await store.verify((await store.get(d._id))!);
    expect(r).toMatchObject({ ok: false, seq: 1, problem: 'missing_hash' });
    expect(r.ok ? '' : r.message).toMatch(/no hash/);
  });

  it('two stores on two connections appending at once write one unbroken chain', async () => {
    const c = await newCase('Raced');
    const a = new CaseStore(db.db);
    const b = new CaseStore(second.db);
    const writes = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendEvent(c._id, `U${i}`, 'alerts_added', { alertIds: [`x${i}`] }));
    const written = await Promise.all(writes);
    expect(new Set(written.map((e) => e.seq)).size).toBe(40);
    const result = await store.verify((await store.get(c._id))!);
    expect(result).toMatchObject({ ok: true, entries: 41 });
    const actors = (await store.eventsAfter(c._id, 1, 100)).map((e) => e.actor).sort();
    expect(actors).toEqual(Array.from({ length: 40 }, (_, i) => `U${i}`).sort());
  });

  it('batches racing single appends and each other keep one chain, each entry once and in batch order', async () => {
    const c = await newCase('Batched');
    const a = new CaseStore(db.db);
    const b = new CaseStore(second.db);
    const batch = (who: string, n: number) => Array.from({ length: n }, (_, i) => ({ actor: `${who}${i}`, kind: 'alerts_added' as const, data: { alertIds: [`${who}${i}`] } }));
    const written = await Promise.all([
      a.appendEvents(c._id, batch('A', 15)),
      b.appendEvents(c._id, batch('B', 15)),
      ...Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).appendEvent(c._id, `S${i}`, 'alerts_added', { alertIds: [`S${i}`] })),
    ]);
    expect(written[0]).toHaveLength(15);
    expect(written[1]).toHaveLength(15);
    const result = await store.verify((await store.get(c._id))!);
    expect(result).toMatchObject({ ok: true, entries: 41 });
    const log = await store.eventsAfter(c._id, 1, 100);
    expect(log.map((e) => e.actor).sort()).toEqual([...batch('A', 15), ...batch('B', 15)].map((x) => x.actor).concat(Array.from({ length: 10 }, (_, i) => `S${i}`)).sort());
    // A batch may be interleaved with other writers, never reordered.
    for (const who of ['A', 'B']) {
      const mine = log.filter((e) => e.actor.startsWith(who)).map((e) => e.actor);
      expect(mine).toEqual(batch(who, 15).map((x) => x.actor));
    }
    expect((await store.get(c._id))!.lastSeq).toBe(41);
  });

  it('a batch that meets a taken sequence number mid-way keeps what it wrote and chains the rest onto the taker', async () => {
    const c = await newCase('Taken mid-batch');
    const head = (await store.get(c._id))!.lastSeq;
    // Another writer's entry two places ahead (its content does not matter here, only that its _id is taken).
    const foreign = { _id: eventId(c._id, head + 3), caseId: c._id, seq: head + 3, at: new Date(), actor: 'OTHER', kind: 'alerts_added', data: { alertIds: ['o'] }, prevHash: 'x', hash: 'f'.repeat(64) };
    await store.events.insertOne(foreign as never);
    const items = Array.from({ length: 5 }, (_, i) => ({ actor: `M${i}`, kind: 'alerts_added' as const, data: { alertIds: [`m${i}`] } }));
    const written = await store.appendEvents(c._id, items);
    expect(written.map((e) => e.seq)).toEqual([head + 1, head + 2, head + 4, head + 5, head + 6]);
    expect(written[2]!.prevHash).toBe(foreign.hash);
    expect(written[1]!.prevHash).toBe(written[0]!.hash);
    expect((await store.get(c._id))!).toMatchObject({ lastSeq: head + 6, headHash: written[4]!.hash });
  });

  it('serializes canonically: sorted keys, ISO dates, no undefined, refuses NaN', () => {
    expect(canonicalJson({ b: 1, a: [undefined, new Date(Date.UTC(2026, 0, 2))], c: undefined, d: -0, e: 'é"' })).toBe('{"a":[null,"2026-01-02T00:00:00.000Z"],"b":1,"d":0,"e":"é\\""}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/canonical/);
  });
});
