// The embedded database, side by side: FerretDB 1.24.2 on SQLite as released ("upstream") and with taser's
// patches (src/store/embedded/*.patch), on the same data directory at each size. One collection of signal-shaped
// documents (string _id; indexes scalar_username on artifacts.username and scalar_occurredAt on {occurredAt: -1,
// _id: 1}, the keyset order of the console's search), loaded through the wire protocol, grown from one size to
// the next. Per size and variant, each operation's median wall time in ms:
// - findOneById: findOne({_id}) of a random existing document (FIND_ONE_REPS times);
// - insertMany500: insertMany of 500 new documents;
// - findIn500 / updateManyIn500: find / updateMany({_id: {$in: [500 existing ids]}});
// - findIndexedField: find({'artifacts.username': v}) on the secondary index (about size / 5000 documents);
// - findArtifactValue: the console's search by artifact value, find({artifactValues: 'username=v'})
//   .sort({occurredAt: -1, _id: 1}).limit(50) (about size / 5000 matches), artifactValues an array indexed
//   multi_artifactValues (patch 40: a multikey index through a side table; as released, a scan);
// - findRangeDesc50: a keyset page in the middle of the collection: find({$or: [{occurredAt: {$lt: t}},
//   {occurredAt: t, _id: {$gt: id}}]}).sort({occurredAt: -1, _id: 1}).limit(50);
// - countRange: countDocuments on an occurredAt range of 1 % of the documents (patch 50: SELECT COUNT(*));
// - findRange1pct: find of the documents of an occurredAt range of 1 % (size / 100 documents returned: the
//   per-document cost of reading, decoding and sending, patches 60-80).
// As released, FerretDB's SQLite backend pushes none of the last four down (it scans, and sorts in Go); patch 20
// answers them from the scalar_ indexes.
// An operation that exceeds the deadline is cancelled (the driver's socketTimeoutMS), recorded as null and listed in
// `timedOut`, and not repeated; operations run cheapest first, the one that scans in both variants last.
// Runs in a child process: `node bin/run-ts.js bench/store.ts '{"sizes":[10000,100000,1000000]}'`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection } from 'mongodb';
import { startEmbeddedDb } from '../src/store/embedded-db.js';
import { prng } from '../test/support/prng.js';
import { isMain, round, runChild } from './support.js';

export interface StoreBenchOptions {
  sizes: number[];
  variants: Variant[];
  /** Per operation, in ms. */
  deadlineMs: number;
}

type Variant = 'patched' | 'upstream';
// Cheapest first, and the one that scans in both variants last: a timed-out operation may keep the server busy.
const OPERATIONS = ['findOneById', 'insertMany500', 'findIn500', 'updateManyIn500', 'findIndexedField', 'findArtifactValue', 'findRangeDesc50', 'countRange', 'findRange1pct'] as const;
type Operation = (typeof OPERATIONS)[number];
const REPS: Record<Operation, number> = { findOneById: 20, findIndexedField: 5, findArtifactValue: 5, findIn500: 3, insertMany500: 3, updateManyIn500: 3, findRangeDesc50: 5, countRange: 5, findRange1pct: 3 };
const T0 = Date.UTC(2026, 0, 1);
const USERS = 5000;

export interface StoreFigure {
  size: number;
  variant: Variant;
  /** Median ms per operation; null when it timed out. */
  ms: Record<Operation, number | null>;
  /** How many times each operation ran (fewer than planned when they were slow). */
  samples: Record<Operation, number>;
  /** Operations that hit the deadline; the ones after them in OPERATIONS ran while the server was still busy. */
  timedOut: Operation[];
}

export interface StoreBench extends StoreBenchOptions {
  loadDocsPerSec: number;
  figures: StoreFigure[];
}

export const STORE_DEFAULTS: StoreBenchOptions = { sizes: [10_000, 100_000], variants: ['patched', 'upstream'], deadlineMs: 30_000 };

function doc(i: number) {
  const user = i % USERS;
  return {
    _id: `sig-${i}`,
    source: 'bench',
    type: 'duo_push_denied',
    severity: 'high',
    occurredAt: new Date(T0 + i * 1000),
    artifacts: { username: `user${user}`, src_ip: `10.0.${(user >> 8) & 255}.${user & 255}`, hostname: `host-${user}` },
    artifactValues: [`hostname=host-${user}`, `src_ip=10.0.${(user >> 8) & 255}.${user & 255}`, `username=user${user}`],
    raw: { message: `push denied for user${user}`, factor: 'duo_push', ua: 'Mozilla/5.0 (bench)', seq: i },
  };
}

async function load(coll: Collection<any>, from: number, to: number): Promise<void> {
  const batch = 1000;
  const inFlight: Promise<unknown>[] = [];
  for (let start = from; start < to; start += batch) {
    const docs = [];
    for (let i = start; i < Math.min(to, start + batch); i++) docs.push(doc(i));
    inFlight.push(coll.insertMany(docs, { ordered: false }));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.floor(sorted.length / 2)]!, 1);
}

async function timed(deadlineMs: number, op: () => Promise<unknown>): Promise<number | null> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deadlineMs + 1000)));
  try {
    const result = await Promise.race([op().catch((err: unknown) => ((err as Error).name === 'MongoNetworkTimeoutError' ? 'timeout' : Promise.reject(err))), deadline]);
    return result === 'timeout' ? null : performance.now() - started;
  } finally {
    clearTimeout(timer);
  }
}

async function measureVariant(dir: string, variant: Variant, size: number, o: StoreBenchOptions, extra: { next: number }): Promise<StoreFigure> {
  const db = await startEmbeddedDb(dir, { patched: variant === 'patched' });
  // socketTimeoutMS: the driver drops the connection of an operation past the deadline (the next one does not queue behind it).
  const client = await MongoClient.connect(db.uri, { maxPoolSize: 4, socketTimeoutMS: o.deadlineMs });
  const coll = client.db('bench').collection<any>('signals');
  const random = prng(size + (variant === 'patched' ? 1 : 2));
  const pick = () => `sig-${Math.floor(random() * size)}`;
  const ms = {} as Record<Operation, number | null>;
  const n = {} as Record<Operation, number>;
  const timedOut: Operation[] = [];
  try {
    const run: Record<Operation, () => Promise<unknown>> = {
      findOneById: () => coll.findOne({ _id: pick() }),
      findIndexedField: () => coll.find({ 'artifacts.username': `user${Math.floor(random() * USERS)}` }).toArray(),
      findArtifactValue: () =>
        coll
          .find({ artifactValues: `username=user${Math.floor(random() * USERS)}` })
          .sort({ occurredAt: -1, _id: 1 })
          .limit(50)
          .toArray(),
      findIn500: () => coll.find({ _id: { $in: Array.from({ length: 500 }, pick) } }).toArray(),
      insertMany500: () => {
        const docs = Array.from({ length: 500 }, () => doc(extra.next++));
        return coll.insertMany(docs, { ordered: false });
      },
      updateManyIn500: () => coll.updateMany({ _id: { $in: Array.from({ length: 500 }, pick) } }, { $set: { touched: variant } }),
      findRangeDesc50: () => {
        const i = Math.floor(size / 4 + (random() * size) / 2);
        const t = new Date(T0 + i * 1000);
        return coll.find({ $or: [{ occurredAt: { $lt: t } }, { occurredAt: t, _id: { $gt: `sig-${i}` } }] }).sort({ occurredAt: -1, _id: 1 }).limit(50).toArray();
      },
      countRange: () => {
        const i = Math.floor(random() * size * 0.99);
        return coll.countDocuments({ occurredAt: { $gte: new Date(T0 + i * 1000), $lt: new Date(T0 + (i + size / 100) * 1000) } });
      },
      findRange1pct: () => {
        const i = Math.floor(random() * size * 0.99);
        return coll.find({ occurredAt: { $gte: new Date(T0 + i * 1000), $lt: new Date(T0 + (i + size / 100) * 1000) } }).toArray();
      },
    };
    for (const op of OPERATIONS) {
      // Up to REPS samples, and no more once their total passes the deadline (a 12 s findOne is measured once).
      const samples: number[] = [];
      let spent = 0;
      while (samples.length < REPS[op] && spent < o.deadlineMs) {
        const t = await timed(o.deadlineMs, run[op]);
        if (t === null) break;
        samples.push(t);
        spent += t;
      }
      if (!samples.length) timedOut.push(op);
      ms[op] = samples.length ? median(samples) : null;
      n[op] = samples.length;
    }
  } finally {
    await client.close(true).catch(() => {});
    await db.stop();
  }
  return { size, variant, ms, samples: n, timedOut };
}

async function measure(o: StoreBenchOptions): Promise<StoreBench> {
  const dir = mkdtempSync(join(tmpdir(), 'taser-bench-store-'));
  const figures: StoreFigure[] = [];
  let loaded = 0;
  let loadMs = 0;
  const extra = { next: 10_000_000 }; // ids of the documents insertMany500 adds, away from the loaded ones
  try {
    for (const size of [...o.sizes].sort((a, b) => a - b)) {
      // Loading goes through the patched build; the upstream build then opens the same files.
      const loader = await startEmbeddedDb(dir);
      const client = await MongoClient.connect(loader.uri);
      const coll = client.db('bench').collection('signals');
      if (loaded === 0) {
        await coll.createIndex({ 'artifacts.username': 1 }, { name: 'scalar_username' });
        await coll.createIndex({ occurredAt: -1, _id: 1 }, { name: 'scalar_occurredAt' });
        await coll.createIndex({ artifactValues: 1 }, { name: 'multi_artifactValues' });
      }
      const started = performance.now();
      await load(coll, loaded, size);
      loadMs += performance.now() - started;
      loaded = size;
      await client.close();
      await loader.stop();
      for (const variant of o.variants) {
        process.stderr.write(`bench store: ${variant} at ${size} documents\n`);
        figures.push(await measureVariant(dir, variant, size, o, extra));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ...o, loadDocsPerSec: Math.round(loaded / (loadMs / 1000)), figures };
}

/** Table rows: each operation at each size, patched beside upstream (ms, median). */
export function storeRows(bench: StoreBench): [string, string, string][] {
  const rows: [string, string, string][] = [];
  const show = (f: StoreFigure | undefined, op: Operation) => (f ? (f.ms[op] === null ? `> ${bench.deadlineMs} (timed out)` : `${f.ms[op]} (n=${f.samples[op]})`) : 'not run');
  for (const size of bench.sizes) {
    const patched = bench.figures.find((f) => f.size === size && f.variant === 'patched');
    const upstream = bench.figures.find((f) => f.size === size && f.variant === 'upstream');
    for (const op of OPERATIONS) {
      rows.push([`store.${op}@${size}`, String(patched?.ms[op] ?? '-'), `ms, patched FerretDB/SQLite ${show(patched, op)}; as released ${show(upstream, op)}`]);
    }
  }
  return rows;
}

export function benchStore(options: Partial<StoreBenchOptions> = {}): Promise<StoreBench> {
  return runChild<StoreBench>('./store.ts', [JSON.stringify(options)]);
}

if (isMain(import.meta.url)) {
  const options = { ...STORE_DEFAULTS, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<StoreBenchOptions>) };
  console.log(JSON.stringify(await measure(options)));
  process.exit(0);
}
