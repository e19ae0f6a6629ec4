// ensureCollectionIndexes: creates what is missing, and converts an index renamed in the code (`replaces`),
// so a database made by an earlier version does not keep both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCollectionIndexes, type IndexSpec } from '../../src/store/collections.js';
import { openTestDatabase } from '../support/db.js';

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

  it('creates on a collection that does not exist yet', async () => {
    await ensureCollectionIndexes(db.db.collection('fresh'), [{ key: { a: 1 }, name: 'scalar_a', replaces: 'a' }]);
    expect(await names('fresh')).toEqual(['_id_', 'scalar_a']);
  });
});
