// The documents of the pushdown tests (count-pushdown, delete-pushdown): the same keys indexed as scalar_/multi_ in
// one collection and under other names in another, so the two answer a filter in SQL and in Go. They keep the
// indexes' promise (one type per path, no array on a scalar_ path, only scalars in a multi_ path), as taser's do.
import { ObjectId, type Collection, type Db } from 'mongodb';
import { prng } from '../support/prng.js';

export interface Doc {
  _id: string;
  s?: string | null;
  t?: Date;
  n?: number;
  o?: ObjectId;
  flag?: boolean;
  nested?: { k?: string };
  a?: string[] | string;
  other?: number;
}

export const KEYS: Record<string, Record<string, 1 | -1>> = {
  s: { s: 1, _id: 1 },
  t: { t: -1, _id: 1 },
  n: { n: 1 },
  o: { o: 1 },
  flag: { flag: 1 },
  nested: { 'nested.k': 1 },
};

// 'A' below '[' and 'zz' above it: a scalar_ path's smallest and largest values (see the proof below)
export const STRINGS = ['A', 'Bbb', 'ab', 'ab c', 'é', '', 'mmm', 'zz'];
export const T0 = Date.UTC(2026, 10, 1);
export const DATES = [new Date(0), new Date(T0), new Date(T0 + 60_000), new Date(T0 + 3_600_000), new Date(T0 + 86_400_000)];
export const NUMBERS = [-5, -0.5, 0, 1, 2, 2.5, 10, 2 ** 40];
export const VALUES = ['x', 'y', 'mmm', 'username=alice', 'username=bob', 'é'];

/** count documents drawn from the seed (the count test: seed 50, 300). */
export function makeDocs(seed = 50, count = 300): Doc[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const docs: Doc[] = [];
  for (let i = 0; i < count; i++) {
    const d: Doc = { _id: `d${String(i).padStart(3, '0')}` };
    const r = random();
    if (r < 0.8) d.s = pick(STRINGS);
    else if (r < 0.9) d.s = null;
    if (random() < 0.9) d.t = new Date(pick(DATES).getTime() + (i % 7) * 1000);
    if (random() < 0.85) d.n = pick(NUMBERS);
    if (random() < 0.9) d.o = new ObjectId(`${String(i % 13).padStart(8, '0')}${'0'.repeat(16)}`);
    if (random() < 0.8) d.flag = random() < 0.5;
    if (random() < 0.7) d.nested = random() < 0.8 ? { k: pick(['x', 'y']) } : {};
    const ra = random();
    if (ra < 0.6) d.a = [...new Set([pick(VALUES), pick(VALUES)])];
    else if (ra < 0.7) d.a = pick(VALUES);
    else if (ra < 0.8) d.a = [];
    d.other = i % 3;
    docs.push(d);
  }
  return docs;
}

/** `pushed` (scalar_ indexes and multi_a) and `plain` (the same keys under other names), each holding a copy of `docs`. */
export async function pushedAndPlain(db: Db, docs: Doc[]): Promise<{ pushed: Collection<Doc>; plain: Collection<Doc> }> {
  const pushed = db.collection<Doc>('pushed');
  const plain = db.collection<Doc>('plain');
  for (const [name, key] of Object.entries(KEYS)) {
    await pushed.createIndex(key, { name: `scalar_${name}` });
    await plain.createIndex(key, { name: `plain_${name}` });
  }
  await pushed.createIndex({ a: 1 }, { name: 'multi_a' });
  await plain.createIndex({ a: 1 }, { name: 'plain_a' });
  await pushed.insertMany(docs.map((d) => ({ ...d })));
  await plain.insertMany(docs.map((d) => ({ ...d })));
  return { pushed, plain };
}
