// ensureCollectionIndexes: creates what is missing, and converts an index renamed in the code (`replaces`),
// so a database made by an earlier version does not keep both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCollectionIndexes, type IndexSpec } from '../../src/store/collections.js';
import { openTestDatabase, testMongoKind } from '../support/db.js';

describe('ensureCollectionIndexes', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('indexes');
  });
  afterAll(async () => db?.drop());

  const names = async (name: string) => (await db.db.collection(name).listIndexes().toArray()).map((i) => String(i.name)).sort();

  it('drops the replaced name and creates the new one, on the same key and on another', async () => {
    const coll = db.db.collection('renamed');
    await ensureCollectionIndexes(coll, [
      { key: { caseId: 1, seq: 1 }, name: 'caseSeq' },
      { key: { at: 1 }, name: 'at' },
    ]);
    expect(await names('renamed')).toEqual(['_id_', 'at', 'caseSeq']);
    const next: IndexSpec[] = [
      { key: { caseId: 1, seq: 1 }, name: 'scalar_caseSeq', replaces: 'caseSeq' },
      { key: { at: -1, _id: 1 }, name: 'scalar_at', replaces: 'at' },
    ];
    await ensureCollectionIndexes(coll, next);
    expect(await names('renamed')).toEqual(['_id_', 'scalar_at', 'scalar_caseSeq']);
    await ensureCollectionIndexes(coll, next); // a second start changes nothing
    expect(await names('renamed')).toEqual(['_id_', 'scalar_at', 'scalar_caseSeq']);
  });

  it('creates a multi_ index with its ferretKey on FerretDB and its compound key on MongoDB', async () => {
    const coll = db.db.collection('arrays');
    await ensureCollectionIndexes(coll, [{ key: { tags: 1, at: -1 }, name: 'tags' }]);
    const spec: IndexSpec[] = [{ key: { tags: 1, at: -1, _id: 1 }, ferretKey: { tags: 1 }, name: 'multi_tags', replaces: 'tags' }];
    await expect(ensureCollectionIndexes(coll, spec)).rejects.toThrow(/needs the Db/);
    await ensureCollectionIndexes(coll, spec, db.db);
    await ensureCollectionIndexes(coll, spec, db.db); // a second start changes nothing
    const indexes = await coll.listIndexes().toArray();
    expect(indexes.map((i) => String(i.name)).sort()).toEqual(['_id_', 'multi_tags']);
    const key = indexes.find((i) => i.name === 'multi_tags')?.key;
    expect(key).toEqual(testMongoKind() === 'ferretdb' ? { tags: 1 } : { tags: 1, at: -1, _id: 1 });
  });

  it('creates on a collection that does not exist yet', async () => {
    await ensureCollectionIndexes(db.db.collection('fresh'), [{ key: { a: 1 }, name: 'scalar_a', replaces: 'a' }]);
    expect(await names('fresh')).toEqual(['_id_', 'scalar_a']);
  });
});
