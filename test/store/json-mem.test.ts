// src/store/embedded/modernc-sqlite/20-json-parse-costs.patch and modernc-libc/10-fast-mem-functions.patch: SQLite's
// JSON parser (every indexed expression of every write), its parse cache (a document's text compared with the
// cached ones) and memcpy/memmove/memcmp (records, keys, JSON blobs whose size headers grow while parsed) changed.
// The same documents, small and large (past 255 and 65,535 bytes), nested, with strings that share long prefixes
// or differ only past 0x7f, live in `indexed` (scalar_ and multi_ indexes: filters and sorts answered by SQLite from
// the documents' JSON) and `plain` (no index: everything in Go); after inserts, updates that grow and shrink them,
// and a replace, every query must answer the same documents in the same order from both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyBulkWriteOperation, Collection, Filter, Sort } from 'mongodb';
import { ensureCollectionIndexes } from '../../src/store/collections.js';
import { openTestDatabase } from '../support/db.js';

interface Doc {
  _id: string;
  k: string;
  n: number;
  tags: string[];
  body: { text: string; list: unknown[] };
}

const PREFIX = 'p'.repeat(300);
const KEYS: string[] = [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}\u00e9`, `${PREFIX}\u00ff`, `${PREFIX}\u{1f680}`, 'a', 'b', '\u00e9', ''];
const SIZES = [0, 10, 300, 5_000, 0, 70_000, 10, 300, 5_000];

function doc(i: number, grow = 0): Doc {
  const size = SIZES[(i + grow) % SIZES.length]!;
  return {
    _id: `d${String(i).padStart(3, '0')}`,
    k: KEYS[i % KEYS.length]!,
    n: (i * 37) % 11,
    tags: [KEYS[(i + 1) % KEYS.length]!, `t${i % 4}`, ...(grow ? [`g${grow}`] : [])],
    body: { text: 'x\u00e9"\\'.repeat(size / 4), list: Array.from({ length: size / 500 }, (_, j) => ({ j, s: `${j}`, deep: [{ a: [j] }, { e: null }] })) },
  };
}

const FILTERS: Filter<Doc>[] = [{}, { k: KEYS[0]! }, { k: KEYS[2]! }, { k: { $in: [KEYS[3]!, 'a', ''] } }, { k: { $gt: PREFIX } }, { k: { $lt: `${PREFIX}c`, $gte: `${PREFIX}b` } }, { tags: 't1' }, { tags: { $in: [KEYS[4]!, 'g2'] } }, { n: { $gte: 5 } }];
const SORTS: Sort[] = [{ k: 1, _id: 1 }, { n: 1, _id: -1 }];

describe('SQLite JSON parsing and memory functions (embedded FerretDB driver patches)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let indexed: Collection<Doc>;
  let plain: Collection<Doc>;

  beforeAll(async () => {
    database = await openTestDatabase('jsonmem');
    indexed = database.db.collection<Doc>('indexed');
    plain = database.db.collection<Doc>('plain');
    await ensureCollectionIndexes(indexed, [
      { key: { k: 1, _id: 1 }, name: 'scalar_k' },
      { key: { n: 1, _id: 1 }, name: 'scalar_n' },
      { key: { tags: 1 }, ferretKey: { tags: 1 }, name: 'multi_tags' },
    ], database.db);
  });
  afterAll(async () => database?.drop());

  async function same(): Promise<void> {
    for (const filter of FILTERS) {
      for (const sort of SORTS) {
        const [a, b] = await Promise.all([indexed, plain].map((c) => c.find(filter).sort(sort).toArray()));
        expect(a, JSON.stringify({ filter, sort })).toEqual(b);
      }
      expect(await indexed.countDocuments(filter)).toBe(await plain.countDocuments(filter));
    }
  }

  it('answers the same after inserts, updates that grow and shrink documents, and a replace', async () => {
    const docs = Array.from({ length: 27 }, (_, i) => doc(i));
    for (const c of [indexed, plain]) await c.insertMany(docs.map((d) => structuredClone(d)));
    expect(await indexed.countDocuments({ k: KEYS[0]! })).toBeGreaterThan(0);
    await same();
    for (const grow of [1, 2]) {
      const updates: AnyBulkWriteOperation<Doc>[] = docs.map((d, i) => {
        const next = doc(i, grow);
        return { updateOne: { filter: { _id: d._id }, update: { $set: { k: KEYS[(i + grow) % KEYS.length]!, body: next.body }, $addToSet: { tags: `g${grow}` } } } };
      });
      for (const c of [indexed, plain]) await c.bulkWrite(updates);
      await same();
    }
    for (const c of [indexed, plain]) await c.replaceOne({ _id: 'd003' }, doc(3, 4));
    await same();
    expect(await indexed.findOne({ _id: 'd003' })).toEqual({ ...doc(3, 4), _id: 'd003' });
  }, 60_000);
});
