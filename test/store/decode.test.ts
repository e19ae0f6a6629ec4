// src/store/embedded/60-sjson-fast-decode.patch: FerretDB decodes each stored document in one pass guided by its
// schema, and falls back to the decoder as released for anything it does not handle itself. Every kind of value
// taser stores, and the odd ones it could meet, must come back exactly as written: through find (with and without
// a projection, patch 80), a sort, getMore batches, findOneAndUpdate and an aggregation. (The patch's Go test,
// fast_test.go, checks that the one-pass decoder is the one that answers for these values.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, BSONRegExp, Double, Int32, Long, ObjectId, Timestamp, type Collection, type Document } from 'mongodb';
import { openTestDatabase } from '../support/db.js';

const STRINGS = ['', 'plain', 'é ü 漢字 🚀', 'quote " backslash \\ slash /', 'tab\tnew\nline\rcr', 'ctl \u0001\u001f\u007f', 'sep \u2028 \u2029', '<>&', '{"json":[1,2]}', 'null', 'true', '123'];

function docs(): ({ _id: string } & Document)[] {
  return [
    {
      _id: 'duo/evt-1',
      signal: { id: 'evt-1', source: 'duo', type: 'duo_push_denied', occurredAt: '2026-01-01T00:00:00.000Z', severity: 'high', title: 'Push denied', artifacts: { username: 'alice', src_ip: '10.0.0.1' }, tags: ['Team:AppSec'], link: 'https://example.com/x?a=1&b=2' },
      payload: JSON.stringify({ raw: { message: 'push "denied"\n', nested: { deep: [1, { x: 'é' }] } } }),
      occurredAt: new Date(Date.UTC(2026, 0, 1)),
      receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)),
      artifactValues: ['username=alice', 'alice', 'src_ip=10.0.0.1', '10.0.0.1'],
      batch: 'b-1',
    },
    { _id: 'strings', list: STRINGS, ...Object.fromEntries(STRINGS.map((s, i) => [`s${i}`, s])) },
    {
      _id: 'numbers',
      i32: new Int32(-2147483648),
      i32max: new Int32(2147483647),
      i64: Long.fromString('-9223372036854775808'),
      i64max: Long.fromString('9223372036854775807'),
      big: new Double(1e300),
      tiny: new Double(5e-324),
      neg: new Double(-0.000123),
      whole: new Double(42),
      zero: new Double(0),
      list: [new Int32(1), Long.fromNumber(2), new Double(2.5), new Double(-1e-7)],
    },
    {
      _id: 'others',
      oid: new ObjectId('651e2b3c4d5e6f708192a3b4'),
      yes: true,
      no: false,
      nothing: null,
      old: new Date(-86_400_000 * 400),
      epoch: new Date(0),
      bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
      user: new Binary(Buffer.from('0123456789abcdef'), 0x80),
      re: new BSONRegExp('^a.*"b', 'i'),
      ts: new Timestamp({ t: 1_700_000_000, i: 7 }),
    },
    {
      _id: 'shapes',
      empty: {},
      emptyList: [],
      nestedEmpty: { a: {}, b: [] },
      mixed: ['x', new Int32(1), true, null, { k: 'v', n: [new Int32(1), new Int32(2)] }, {}], // FerretDB refuses nested arrays
      deep: { a: { b: { c: { d: { e: 'f' } } } } },
      'key with space': new Int32(1),
      'ké': 'unicode key',
    },
  ];
}

describe('documents come back as written (embedded FerretDB patches 60 and 80)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let coll: Collection<{ _id: string } & Document>;
  const written = docs();
  const options = { promoteLongs: false, promoteValues: false, bsonRegExp: true } as const;
  const byId = (list: Document[]) => [...list].sort((a, b) => String(a._id).localeCompare(String(b._id)));

  beforeAll(async () => {
    database = await openTestDatabase('decode');
    coll = database.db.collection('docs');
    await coll.insertMany(docs());
  });
  afterAll(async () => database?.drop());

  it('through find, a sort, a projection and an aggregation', async () => {
    const read = await coll.find({}, options).toArray();
    expect(byId(read)).toEqual(byId(written));
    expect(await coll.find({}, options).sort({ _id: -1 }).toArray()).toEqual(byId(written).reverse());
    expect(await coll.find({}, { ...options, projection: {} }).toArray()).toEqual(read);
    const projected = await coll.find({ _id: 'duo/evt-1' }, { ...options, projection: { _id: 0, occurredAt: 1, 'signal.artifacts': 1 } }).toArray();
    expect(projected).toEqual([{ signal: { artifacts: written[0]!.signal.artifacts }, occurredAt: written[0]!.occurredAt }]);
    expect(byId(await coll.aggregate([{ $match: {} }], options).toArray())).toEqual(byId(written));
  });

  it('through getMore batches and findOneAndUpdate', async () => {
    const many = database.db.collection<{ _id: string } & Document>('many');
    const base = written[0]!;
    await many.insertMany(Array.from({ length: 250 }, (_, i) => ({ ...base, _id: `duo/evt-${i}`, seq: new Int32(i) })));
    const read = await many.find({}, { ...options, batchSize: 7 }).sort({ _id: 1 }).toArray();
    expect(read).toHaveLength(250);
    for (const d of read) expect({ ...d, _id: base._id, seq: undefined }).toEqual({ ...base, seq: undefined });
    const before = await coll.findOneAndUpdate({ _id: 'others' }, { $set: { added: 'x' } }, { ...options, returnDocument: 'before' });
    expect(before).toEqual(written[3]);
    expect(await coll.findOne({ _id: 'others' }, options)).toEqual({ ...written[3], added: 'x' });
  });
});
