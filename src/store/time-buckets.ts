// Matches per time bucket, every one of them. Two ways, chosen by the caller:
// - count: one count per bucket (the filter and the bucket's range on the time field). On MongoDB each is an
//   index range; on the embedded FerretDB a count whose whole filter is pushed down is one SQL COUNT(*)
//   (50-sqlite-count-pushdown.patch) that walks the bucket's part of a scalar_ index, so a histogram costs a few
//   dozen small counts whatever the number of matches, where reading them costs ~0.1 ms of server CPU each.
// - read: the matches' times through one cursor, bucketed as they come (nothing held). For a filter on an
//   array (artifact values: a multi_ index on FerretDB), SQLite answers each count from the side table of the
//   value, reading every match of the value whatever the bucket, so 60 buckets cost 60 such passes: measured
//   ~5x dearer than reading the matches once (20,500 signals, 4,100 about one value).
import type { Collection, Document, Filter } from 'mongodb';

/** Counts run at once per histogram (the driver's pool holds more; the server's CPUs are the limit). */
const IN_FLIGHT = 4;

/**
 * The number of documents of `filter` in each bucket of `field`: before inner[0], [inner[i-1], inner[i]), and from
 * the last inner edge on (inner.length + 1 counts, in order). The first and last buckets are open: with the
 * filter's own range they hold every match, so the counts add up to all of them. The filter's own range on
 * `field` ($gte, $lte) is kept and narrowed by the bucket's edges.
 */
export async function countByTime<T extends Document>(collection: Collection<T>, filter: Filter<T>, field: string, inner: Date[], how: 'count' | 'read' = 'count', options: { implied?: string } = {}): Promise<number[]> {
  if (how === 'read') return readByTime(collection, filter, field, inner);
  const own = ((filter as Record<string, unknown>)[field] ?? {}) as { $gte?: Date; $lte?: Date };
  // `implied`: a field never below `field` (an alert's lastSeen and its firstSeen). Its lower bound holds for
  // every document of a bucket that starts at or above it, so those buckets leave it out: SQLite then walks the
  // time index alone instead of reading each row for it (measured 0.2 ms against 20-30 ms a bucket, 125,000 alerts).
  const impliedBound = options.implied ? ((filter as Record<string, unknown>)[options.implied] as { $gte?: Date } | undefined) : undefined;
  const bucket = (i: number): Filter<T> => {
    // One lower and one upper bound, the tighter of the filter's and the bucket's: given two upper bounds on one
    // path, SQLite bounded its index walk by the looser one (a first bucket with `$lte: until` walked the whole
    // range: 300 ms against 11 ms over 1,000,000 signals).
    const range: Record<string, Date> = { ...own };
    const lo = inner[i - 1];
    if (lo && !(own.$gte && own.$gte > lo)) range.$gte = lo;
    const hi = inner[i];
    if (hi && !(own.$lte && own.$lte < hi)) {
      delete range.$lte;
      range.$lt = hi;
    }
    const narrowed: Record<string, unknown> = { ...filter, [field]: range };
    if (lo && impliedBound && Object.keys(impliedBound).length === 1 && impliedBound.$gte instanceof Date && impliedBound.$gte <= lo) delete narrowed[options.implied!];
    return narrowed as Filter<T>;
  };
  // The first bucket with `implied`: the documents before inner[0] less those whose `implied` is below its bound
  // (all before inner[0] too), two counts on one range each, where one count on both ranges walked the whole
  // range by `implied` and read every row (3.5 s over 116,696 alerts).
  const since = impliedBound?.$gte;
  const splitFirst = since instanceof Date && Object.keys(impliedBound!).length === 1 && inner.length > 0 && since <= inner[0]!;
  const firstBucket = async () => {
    const { [options.implied!]: _implied, ...rest } = filter as Record<string, unknown>;
    const { [field]: _own, ...others } = rest;
    const [before, endedBefore] = await Promise.all([
      collection.countDocuments({ ...rest, [field]: { $lt: inner[0] } } as Filter<T>),
      collection.countDocuments({ ...others, [options.implied!]: { $lt: since } } as Filter<T>),
    ]);
    return before - endedBefore;
  };
  const counts = new Array<number>(inner.length + 1).fill(0);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i <= inner.length; i = next++) counts[i] = i === 0 && splitFirst ? await firstBucket() : await collection.countDocuments(bucket(i));
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, inner.length + 1) }, worker));
  return counts;
}

/** The same counts from the matches' times, read once (see the file's comment). */
async function readByTime<T extends Document>(collection: Collection<T>, filter: Filter<T>, field: string, inner: Date[]): Promise<number[]> {
  const counts = new Array<number>(inner.length + 1).fill(0);
  const edges = inner.map((d) => d.getTime());
  for await (const doc of collection.find(filter, { projection: { _id: 0, [field]: 1 }, batchSize: 10_000 })) {
    const value = (doc as Record<string, unknown>)[field];
    if (!(value instanceof Date)) continue;
    // the number of edges at or before the time is its bucket (binary search)
    const t = value.getTime();
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]! += 1;
  }
  return counts;
}

/** The oldest and newest values of `field` among the matches (two index reads), or undefined when none match. */
export async function timeSpan<T extends Document>(collection: Collection<T>, filter: Filter<T>, field: string): Promise<{ oldest: Date; newest: Date } | undefined> {
  const end = async (direction: 1 | -1) => {
    const [doc] = await collection.find(filter, { projection: { _id: 0, [field]: 1 } }).sort({ [field]: direction }).limit(1).toArray();
    const value = doc?.[field];
    return value instanceof Date ? value : undefined;
  };
  const [oldest, newest] = await Promise.all([end(1), end(-1)]);
  return oldest && newest ? { oldest, newest } : undefined;
}
