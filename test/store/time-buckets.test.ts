// The console's histogram counts every match per time bucket (src/store/time-buckets.ts, by counts or by one read): exact
// against the same counts taken in JavaScript, beyond the 20,000 newest matches the histogram once read, with
// documents on the bucket edges, the open first and last buckets, and the alerts' overlap range (an alert that
// began before `since` is a match, drawn in the first bucket).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../support/db.js';
import { SignalStore, type StoredSignal } from '../../src/signals/store.js';
import { AlertStore, type StoredAlert } from '../../src/correlation/alert-store.js';
import { bucketsOver, countHistogram } from '../../src/console/histogram.js';
import { countByTime, timeSpan } from '../../src/store/time-buckets.js';

const T0 = Date.UTC(2026, 9, 1);
const SIGNALS = 20_500;
// One signal every 127 s (about 30 days), every fifth about alice; a few exactly on day edges.
const at = (i: number) => new Date(T0 + i * 127_000);
const isAlice = (i: number) => i % 5 === 0;

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let signals: SignalStore;
let alerts: AlertStore;

beforeAll(async () => {
  database = await openTestDatabase('timebuckets');
  signals = new SignalStore(database.db);
  alerts = new AlertStore(database.db);
  await Promise.all([signals.ensureIndexes(), alerts.ensureIndexes()]);
  // The stored form's fields the filters read (the page's decoding is not under test here).
  const docs = Array.from({ length: SIGNALS }, (_, i) => ({
    _id: `test/s${i}`,
    occurredAt: i % 1000 === 0 ? new Date(T0 + (i / 1000) * 86_400_000) : at(i),
    receivedAt: new Date(T0),
    artifactValues: isAlice(i) ? ['username=alice', 'alice'] : ['username=bob', 'bob'],
    signal: { source: 'test', type: 'login' },
  })) as unknown as StoredSignal[];
  for (let i = 0; i < docs.length; i += 5_000) await signals.collection.insertMany(docs.slice(i, i + 5_000), { ordered: false });
}, 300_000);

afterAll(async () => {
  await database?.drop();
});

/** The histogram of `times` over [from, to] as the database should count it, in JavaScript. */
function expected(times: Date[], from: Date, to: Date): number[] {
  const { inner } = bucketsOver(from, to);
  const counts = new Array<number>(inner.length + 1).fill(0);
  for (const t of times) {
    let i = 0;
    while (i < inner.length && t >= inner[i]!) i++;
    counts[i]! += 1;
  }
  return counts;
}

const storedTimes = async (filter: object) => (await signals.collection.find(filter, { projection: { _id: 0, occurredAt: 1 } }).toArray()).map((d) => d.occurredAt);

describe('histogram counts in the database', () => {
  it('counts all 20,500 signals, none twice, over their own span', async () => {
    const filter = signals.filterOf({});
    const h = (await countHistogram({}, () => timeSpan(signals.collection, filter, 'occurredAt'), (inner) => countByTime(signals.collection, filter, 'occurredAt', inner)))!;
    expect(h.total).toBe(SIGNALS);
    const span = (await timeSpan(signals.collection, filter, 'occurredAt'))!;
    expect(span.oldest).toEqual(new Date(T0));
    expect(h.counts).toEqual(expected(await storedTimes({}), span.oldest, span.newest));
  });

  it('counts an artifact value over a range exactly, a signal on an edge in the later bucket', async () => {
    const since = new Date(T0 + 3 * 86_400_000 + 5_000);
    const until = new Date(T0 + 17 * 86_400_000);
    const filter = signals.filterOf({ artifact: 'alice', since, until });
    const h = (await countHistogram({ from: since, to: until }, async () => undefined, (inner) => countByTime(signals.collection, filter, 'occurredAt', inner, 'read')))!;
    expect(h.widthMs).toBe(6 * 3_600_000);
    const matching = await storedTimes(filter);
    expect(matching.length).toBeGreaterThan(1000);
    expect(h.total).toBe(matching.length);
    expect(h.counts).toEqual(expected(matching, since, until));
    // One count per bucket gives the same.
    expect(await countByTime(signals.collection, filter, 'occurredAt', bucketsOver(since, until).inner, 'count')).toEqual(h.counts);
    // The signal at day 5 00:00 (i = 5000, alice) starts the bucket that day begins.
    const edge = (T0 + 5 * 86_400_000 - h.from.getTime()) / h.widthMs;
    expect(Number.isInteger(edge)).toBe(true);
    const justBefore = matching.filter((t) => t.getTime() >= T0 + 5 * 86_400_000 - h.widthMs && t.getTime() < T0 + 5 * 86_400_000).length;
    expect(h.counts[edge - 1]).toBe(justBefore);
  });

  it("counts the alerts that overlap a range, one that began before it in the first bucket", async () => {
    const alert = (id: string, first: number, last: number, ruleId = 'r1') => ({ _id: id, ruleId, firstSeen: new Date(first), lastSeen: new Date(last), artifacts: ['username=alice'], status: 'open', team: 't', severity: 'low' }) as unknown as StoredAlert;
    const h1 = 3_600_000;
    await alerts.collection.insertMany([
      alert('long', T0 - 10 * h1, T0 + 2 * h1), // began before the range, still open in it
      alert('old', T0 - 10 * h1, T0 - 9 * h1), // ended before the range: no match
      alert('a', T0 + h1, T0 + h1),
      alert('b', T0 + 3 * h1, T0 + 4 * h1), // on a 3-hour edge
      alert('c', T0 + 23 * h1, T0 + 30 * h1),
      alert('other-rule', T0 + 2 * h1, T0 + 2 * h1, 'r2'),
      alert('late', T0 + 25 * h1, T0 + 25 * h1), // after the range
    ]);
    const since = new Date(T0);
    const until = new Date(T0 + 24 * h1);
    const filter = alerts.filterOf({ rule: 'r1', artifact: 'username=alice', since, until });
    const h = (await countHistogram({ from: since, to: until }, async () => undefined, (inner) => countByTime(alerts.collection, filter, 'firstSeen', inner, 'read')))!;
    // Counted per bucket, `lastSeen >= since` left out of the buckets after the first (implied there): the same.
    expect(await countByTime(alerts.collection, filter, 'firstSeen', bucketsOver(since, until).inner, 'count', { implied: 'lastSeen' })).toEqual(h.counts);
    expect(h.widthMs).toBe(h1);
    expect(h.total).toBe(4);
    expect(h.counts[0]).toBe(1); // `long` (began before the range), nothing else in hour 0
    expect(h.counts[1]).toBe(1);
    expect(h.counts[3]).toBe(1);
    expect(h.counts[23]).toBe(1);
  });
});
