// Retention (issue 9.5): do the hot path's figures stay flat on a database that has run for a long time, and
// what does the retention job cost? A month at 1,000 signals/s is 2.6 billion signals: not affordable here, so
// the bench names the scale it used. On one database (the embedded FerretDB unless MONGODB_URI is set), with
// taser's own indexes:
// - fresh: the hot path's store operations timed on the empty database;
// - loaded: the same after pre-loading `signals` signals (half received 31-60 days ago, so expired under the
//   default 30 days, half in the last day), `slackEvents` Slack event ids and as many interaction-ledger
//   entries (half older than their 7 d / 1 d periods);
// - the retention job (deleteExpired, as the core.retention job runs it, with no per-run cap) timed;
// - after: the same operations again.
// The operations are those every signal POST, Slack event and click pays: insertMany of a 500-signal batch into
// `signals`, a 100-key insertMany into the interaction ledger, a Slack event id insertOne, and a findOne by
// `_id`. Each is the median of a few runs; the machine is shared, so compare the three columns of one run.
import { MongoClient, type Db } from 'mongodb';
import { pino } from 'pino';
import { SignalStore, signalKey, artifactValuesOf, SIGNALS_COLLECTION } from '../src/signals/store.js';
import { CORE_COLLECTIONS, ensureIndexes } from '../src/store/collections.js';
import { deleteExpired, ensureRetention, RETENTION_DEFAULTS } from '../src/store/retention.js';
import { parseEventTime, type Signal } from '../src/signals/signal.js';
import { benchDatabase, generateSignals, isMain, percentile, round, runChild } from './support.js';

export interface RetentionOptions {
  /** Signals pre-loaded (half expired). */
  signals: number;
  /** Slack event ids pre-loaded (half expired), and as many interaction-ledger entries. */
  slackEvents: number;
}

export interface Probe {
  insertSignals500Ms: number;
  ledgerClaim100Ms: number;
  slackEventInsertMs: number;
  findSignalByIdMs: number;
}

export interface RetentionBench extends RetentionOptions {
  db: 'mongodb' | 'ferretdb-embedded';
  preloadSeconds: number;
  preloadPerSec: number;
  fresh: Probe;
  loaded: Probe;
  after: Probe;
  /** The retention job's run over the pre-loaded database. */
  jobSeconds: number;
  deleted: Record<string, number>;
  /** Documents left in signals / slack_events after the job (the live half plus the probes' own). */
  signalsLeft: number;
  slackEventsLeft: number;
}

export const RETENTION_SIZES: RetentionOptions = { signals: 20_000, slackEvents: 10_000 };

export function benchRetention(options: Partial<RetentionOptions> = {}): Promise<RetentionBench> {
  return runChild<RetentionBench>('./retention.ts', [JSON.stringify({ ...RETENTION_SIZES, ...options })]);
}

const DAY = 86_400_000;
const LOAD_BATCH = 1_000;

function signalDocs(signals: Signal[], receivedAt: (i: number) => Date) {
  return signals.map((signal, i) => ({
    _id: signalKey(signal),
    signal,
    occurredAt: new Date(parseEventTime(signal.occurredAt)!),
    receivedAt: receivedAt(i),
    artifactValues: artifactValuesOf(signal),
  }));
}

let probeRound = 0;
async function probe(db: Db): Promise<Probe> {
  const r = ++probeRound;
  const times = async (n: number, op: (i: number) => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await op(i);
      ms.push(performance.now() - started);
    }
    return round(percentile(ms, 50), 1);
  };
  const signals = db.collection(SIGNALS_COLLECTION);
  const fresh = [...generateSignals(5 * 500, { groupKeys: 1_000, source: `probe${r}`, seed: r })];
  const insertSignals500Ms = await times(5, (i) => signals.insertMany(signalDocs(fresh.slice(i * 500, (i + 1) * 500), () => new Date()) as never, { ordered: false }));
  const ledger = db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackInteractions);
  const ledgerClaim100Ms = await times(5, (i) => ledger.insertMany(Array.from({ length: 100 }, (_, k) => ({ _id: `probe${r}:${i}:${k}`, receivedAt: new Date() })), { ordered: false }));
  const events = db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackEvents);
  const slackEventInsertMs = await times(20, (i) => events.insertOne({ _id: `Ev-probe${r}-${i}`, receivedAt: new Date() }));
  const findSignalByIdMs = await times(20, (i) => signals.findOne({ _id: signalKey(fresh[i * 100]!) as never }));
  return { insertSignals500Ms, ledgerClaim100Ms, slackEventInsertMs, findSignalByIdMs };
}

async function measure(o: RetentionOptions): Promise<RetentionBench> {
  const database = await benchDatabase('retention');
  const client = new MongoClient(database.uri);
  try {
    await client.connect();
    const db = client.db();
    const logger = pino({ level: 'silent' });
    // taser's own indexes, and its retention plan (TTL indexes on MongoDB: then the job has nothing to do).
    await ensureIndexes(db);
    await new SignalStore(db).ensureIndexes();
    const plan = await ensureRetention(db, RETENTION_DEFAULTS, logger);
    const fresh = await probe(db);

    const now = Date.now();
    const started = performance.now();
    const signals = db.collection(SIGNALS_COLLECTION);
    const generated = generateSignals(o.signals, { groupKeys: 10_000, source: 'month', start: now - 60 * DAY, stepMs: Math.floor((60 * DAY) / o.signals) });
    for (let done = 0; done < o.signals; done += LOAD_BATCH) {
      const batch: Signal[] = [];
      for (let i = 0; i < LOAD_BATCH && done + i < o.signals; i++) batch.push(generated.next().value as Signal);
      // The first half expired (received 31-60 days ago), the second half within the last day.
      const receivedAt = (i: number) => (done + i < o.signals / 2 ? new Date(now - 31 * DAY - ((done + i) % 29) * DAY) : new Date(now - ((done + i) % 23) * 3_600_000));
      await signals.insertMany(signalDocs(batch, receivedAt) as never, { ordered: false });
    }
    for (const name of [CORE_COLLECTIONS.slackEvents, CORE_COLLECTIONS.slackInteractions]) {
      const coll = db.collection<{ _id: string; receivedAt: Date }>(name);
      for (let done = 0; done < o.slackEvents; done += LOAD_BATCH) {
        const docs = Array.from({ length: Math.min(LOAD_BATCH, o.slackEvents - done) }, (_, i) => ({
          _id: `Ev${String(done + i).padStart(10, '0')}`,
          receivedAt: done + i < o.slackEvents / 2 ? new Date(now - 8 * DAY - (done + i) * 1000) : new Date(now - (done + i) * 1000),
        }));
        await coll.insertMany(docs, { ordered: false });
      }
    }
    const preloadSeconds = (performance.now() - started) / 1000;
    const loaded = await probe(db);

    const jobStarted = performance.now();
    const deleted = plan.job.length ? await deleteExpired(db, RETENTION_DEFAULTS, plan.job, { maxRunMs: Number.POSITIVE_INFINITY }) : {};
    const jobSeconds = (performance.now() - jobStarted) / 1000;
    const after = await probe(db);
    return {
      ...o,
      db: process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded',
      preloadSeconds: round(preloadSeconds, 1),
      preloadPerSec: Math.round((o.signals + 2 * o.slackEvents) / preloadSeconds),
      fresh,
      loaded,
      after,
      jobSeconds: round(jobSeconds, 1),
      deleted: deleted as Record<string, number>,
      signalsLeft: await signals.countDocuments({}),
      slackEventsLeft: await db.collection(CORE_COLLECTIONS.slackEvents).countDocuments({}),
    };
  } finally {
    await client.db().dropDatabase().catch(() => {});
    await client.close();
    await database.stop();
  }
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measure({ ...RETENTION_SIZES, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<RetentionOptions>) })));
  process.exit(0);
}
