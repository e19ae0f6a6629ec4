// Retention (issue 9.5): do the hot path's store operations stay flat as a database grows towards its steady
// state under retention, and how fast does the retention job delete at each size? A month at 1,000 signals/s is
// 2.6 billion signals (the steady state under the default 30 days of `retention.signals`): not loadable here, so
// the bench grows one database through several sizes of the `signals` collection and names them. On one database
// (the embedded FerretDB unless MONGODB_URI is set), with taser's own indexes and retention plan, at each size:
// - the probes, each the median of a few runs: insertMany of a 500-signal batch into `signals` (wall, and on the
//   embedded database the server's CPU from /proc/PID/stat, which the machine's other load does not inflate), a
//   100-key insertMany into the interaction ledger, a Slack event id insertOne, a Positron cache upsert
//   (replaceOne by a random hash, as src/positron/service.ts writes it), a signal findOne by `_id` and the
//   console's search by artifact value (SignalStore.search: a page of 50);
// - the retention job (deleteExpired, as core.retention runs it) for at most `jobMs`: its deletions per second.
// Between sizes it loads signals (half received 31-60 days ago, so expired under the default 30 days, half in the
// last day, interleaved), and a tenth as many Slack event ids, ledger entries and Positron cache entries (half
// expired), until `signals` holds the next size. Size 0 is the fresh database.
// Default sizes are small (a quick run: `-- --retention`); `-- --retention-big` runs 100k, 300k and 1M signals
// (about an hour on two shared cores, most of it loading).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { pino } from 'pino';
import { SignalStore, signalKey, artifactValuesOf, SIGNALS_COLLECTION } from '../src/signals/store.js';
import { CORE_COLLECTIONS, ensureIndexes } from '../src/store/collections.js';
import { deleteExpired, ensureRetention, RETENTION_DEFAULTS } from '../src/store/retention.js';
import { CACHE_COLLECTION } from '../src/positron/service.js';
import { startEmbeddedDb } from '../src/store/embedded-db.js';
import { parseEventTime, type Signal } from '../src/signals/signal.js';
import { generateSignals, isMain, percentile, round, runChild } from './support.js';

export interface RetentionOptions {
  /** Documents in `signals` at which to measure, ascending; 0 is the fresh database. */
  sizes: number[];
  /** Slack event ids, ledger entries and Positron cache entries loaded per signal loaded. */
  otherPerSignal: number;
  /** The retention job's run at each size is capped at this (ms): its rate is what is measured. */
  jobMs: number;
}

export interface Probe {
  insertSignals500Ms: number;
  /** The embedded server's CPU per insertMany of 500 (median), ms; null on MONGODB_URI. */
  insertSignals500CpuMs: number | null;
  ledgerClaim100Ms: number;
  slackEventInsertMs: number;
  positronCacheUpsertMs: number;
  findSignalByIdMs: number;
  /** The console's search by artifact value (a page of 50, newest first), median ms, and the server's CPU. */
  searchArtifactMs: number;
  searchArtifactCpuMs: number | null;
  /** 100 updateOnes by _id ($set on stored signals): as 100 commands, and as one bulkWrite (one update command). */
  update100: { commandsMs: number; commandsCpuMs: number | null; bulkMs: number; bulkCpuMs: number | null };
}

export interface RetentionSize {
  /** Documents in `signals` when probed. */
  signals: number;
  /** Documents in `slack_events` when probed. */
  slackEvents: number;
  probe: Probe;
  /** The capped job run: seconds, documents deleted by kind, deletions per second, server CPU per deletion. */
  job: { seconds: number; deleted: Record<string, number>; perSec: number; cpuMsPerDoc: number | null };
}

export interface RetentionBench extends RetentionOptions {
  db: 'mongodb' | 'ferretdb-embedded';
  /** Signals loaded per second between sizes (the other collections' documents alongside). */
  loadPerSec: number;
  figures: RetentionSize[];
  /** insertMany of 500 at the largest size over the fresh database: wall, and server CPU. */
  insertRatio: number;
  insertCpuRatio: number | null;
}

export const RETENTION_SIZES: RetentionOptions = { sizes: [0, 20_000], otherPerSignal: 0.1, jobMs: 10_000 };
export const RETENTION_BIG: Partial<RetentionOptions> = { sizes: [0, 100_000, 300_000, 1_000_000] };
/** The target: insertMany of 500 signals at the largest size costs at most this many times the fresh database's. */
export const RETENTION_FLAT = 1.5;

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

const hashKey = (s: string) => `whois:${createHash('sha256').update(s).digest('hex')}`;

/** CPU time (user + system) of a process so far, ms; undefined where /proc is not readable. */
function cpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

let probeRound = 0;
async function probe(db: Db, pid: number | undefined): Promise<Probe> {
  const r = ++probeRound;
  const times = async (n: number, op: (i: number) => Promise<unknown>) => {
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < n; i++) {
      const c0 = cpuMs(pid);
      const started = performance.now();
      await op(i);
      ms.push(performance.now() - started);
      const c1 = cpuMs(pid);
      if (c0 !== undefined && c1 !== undefined) cpu.push(c1 - c0);
    }
    return { ms: round(percentile(ms, 50), 1), cpu: cpu.length ? round(percentile(cpu, 50), 1) : null };
  };
  const signals = db.collection(SIGNALS_COLLECTION);
  // Like live traffic: new ids, artifact values spread over 10,000 keys, received now.
  const fresh = [...generateSignals(5 * 500, { groupKeys: 10_000, source: `probe${r}`, seed: r })];
  const insert = await times(5, (i) => signals.insertMany(signalDocs(fresh.slice(i * 500, (i + 1) * 500), () => new Date()) as never, { ordered: false }));
  const ledger = db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackInteractions);
  const ledgerClaim = await times(5, (i) => ledger.insertMany(Array.from({ length: 100 }, (_, k) => ({ _id: hashKey(`probe${r}:${i}:${k}`), receivedAt: new Date() })), { ordered: false }));
  const events = db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackEvents);
  const slackEvent = await times(20, (i) => events.insertOne({ _id: `Ev${hashKey(`probe${r}-${i}`).slice(6, 18)}`, receivedAt: new Date() }));
  const cache = db.collection<{ _id: string; result: unknown; expiresAt: Date }>(CACHE_COLLECTION);
  const positron = await times(20, (i) =>
    cache.replaceOne({ _id: hashKey(`probe${r}-${i}`) }, { result: { query: 'whois', top: { summary: `answer ${i}` } }, expiresAt: new Date(Date.now() + 3_600_000) }, { upsert: true }),
  );
  const find = await times(20, (i) => signals.findOne({ _id: signalKey(fresh[i * 100]!) as never }));
  // Each `username=userK` is in about one stored signal in 10,000 (the load's 10,000 keys).
  const store = new SignalStore(db);
  const search = await times(5, (i) => store.search({ artifact: `username=user${(r * 1_777 + i * 3_011) % 10_000}`, limit: 50 }));
  // The same 100 stored signals each time (what the live path does with alerts and deliveries).
  const setSeen = (k: number) => fresh.slice(0, 100).map((s) => ({ updateOne: { filter: { _id: signalKey(s) as never }, update: { $set: { seenAt: new Date(), seen: k } } } }));
  const commands = await times(5, async (i) => {
    for (const { updateOne: u } of setSeen(2 * i)) await signals.updateOne(u.filter, u.update);
  });
  const bulk = await times(5, (i) => signals.bulkWrite(setSeen(2 * i + 1)));
  return {
    insertSignals500Ms: insert.ms,
    insertSignals500CpuMs: insert.cpu,
    ledgerClaim100Ms: ledgerClaim.ms,
    slackEventInsertMs: slackEvent.ms,
    positronCacheUpsertMs: positron.ms,
    findSignalByIdMs: find.ms,
    searchArtifactMs: search.ms,
    searchArtifactCpuMs: search.cpu,
    update100: { commandsMs: commands.ms, commandsCpuMs: commands.cpu, bulkMs: bulk.ms, bulkCpuMs: bulk.cpu },
  };
}

/** Loads `count` signals (half expired, interleaved) and `count * otherPerSignal` of each other kind. */
async function load(db: Db, count: number, o: RetentionOptions, state: { loaded: number; now: number; generator: Generator<Signal> }): Promise<void> {
  const { now } = state;
  const signals = db.collection(SIGNALS_COLLECTION);
  const inFlight: Promise<unknown>[] = [];
  for (let done = 0; done < count; done += LOAD_BATCH) {
    const batch: Signal[] = [];
    for (let i = 0; i < LOAD_BATCH && done + i < count; i++) batch.push(state.generator.next().value as Signal);
    const base = state.loaded + done;
    const receivedAt = (i: number) => ((base + i) % 2 ? new Date(now - 31 * DAY - ((base + i) % 29) * DAY) : new Date(now - ((base + i) % 23) * 3_600_000));
    inFlight.push(signals.insertMany(signalDocs(batch, receivedAt) as never, { ordered: false }));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const others = Math.round(count * o.otherPerSignal);
  const first = Math.round(state.loaded * o.otherPerSignal);
  const at = (n: number, periodMs: number) => (n % 2 ? new Date(now - periodMs - DAY - (n % 97) * 60_000) : new Date(now - (n % 97) * 60_000));
  for (let done = 0; done < others; done += LOAD_BATCH) {
    const ns = Array.from({ length: Math.min(LOAD_BATCH, others - done) }, (_, i) => first + done + i);
    await Promise.all([
      db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackEvents).insertMany(ns.map((n) => ({ _id: `Ev${hashKey(`e${n}`).slice(6, 18)}`, receivedAt: at(n, RETENTION_DEFAULTS.slackEvents) })), { ordered: false }),
      db.collection<{ _id: string; receivedAt: Date }>(CORE_COLLECTIONS.slackInteractions).insertMany(ns.map((n) => ({ _id: hashKey(`i${n}`), receivedAt: at(n, RETENTION_DEFAULTS.slackInteractions) })), { ordered: false }),
      // Positron cache entries count from their expiry: an expired one's expiresAt is more than a period ago.
      db.collection<{ _id: string; result: unknown; expiresAt: Date }>(CACHE_COLLECTION).insertMany(ns.map((n) => ({ _id: hashKey(`c${n}`), result: { query: 'whois', top: { summary: `answer ${n}` } }, expiresAt: at(n, RETENTION_DEFAULTS.positronCache) })), { ordered: false }),
    ]);
  }
  state.loaded += count;
}

async function measure(o: RetentionOptions): Promise<RetentionBench> {
  const dataDir = process.env.MONGODB_URI ? undefined : mkdtempSync(join(tmpdir(), 'taser-bench-retention-'));
  const embedded = dataDir ? await startEmbeddedDb(dataDir) : undefined;
  const uri = new URL(embedded?.uri ?? process.env.MONGODB_URI!);
  uri.pathname = `/retention_${Date.now().toString(36)}`;
  const client = new MongoClient(uri.toString());
  const pid = embedded?.process.pid;
  try {
    await client.connect();
    const db = client.db();
    // taser's own indexes, and its retention plan (TTL indexes on MongoDB: then the job has nothing to do).
    await ensureIndexes(db);
    await new SignalStore(db).ensureIndexes();
    const plan = await ensureRetention(db, RETENTION_DEFAULTS, pino({ level: 'silent' }));
    const signals = db.collection(SIGNALS_COLLECTION);
    const now = Date.now();
    const total = Math.max(...o.sizes);
    const state = { loaded: 0, now, generator: generateSignals(total * 2, { groupKeys: 10_000, source: 'month', start: now - 60 * DAY, stepMs: Math.max(1, Math.floor((60 * DAY) / (total * 2 || 1))) }) };
    const figures: RetentionSize[] = [];
    let loadMs = 0;
    for (const size of [...o.sizes].sort((a, b) => a - b)) {
      const present = await signals.estimatedDocumentCount();
      if (size > present) {
        process.stderr.write(`bench retention: loading ${size - present} signals (to ${size})\n`);
        const started = performance.now();
        await load(db, size - present, o, state);
        loadMs += performance.now() - started;
      }
      const counted = { signals: await signals.estimatedDocumentCount(), slackEvents: await db.collection(CORE_COLLECTIONS.slackEvents).estimatedDocumentCount() };
      process.stderr.write(`bench retention: probing at ${counted.signals} signals\n`);
      const p = await probe(db, pid);
      const c0 = cpuMs(pid);
      const jobStarted = performance.now();
      const deleted = (plan.job.length ? await deleteExpired(db, RETENTION_DEFAULTS, plan.job, { maxRunMs: o.jobMs }) : {}) as Record<string, number>;
      const seconds = (performance.now() - jobStarted) / 1000;
      const c1 = cpuMs(pid);
      const n = Object.values(deleted).reduce((a, b) => a + b, 0);
      figures.push({
        ...counted,
        probe: p,
        job: { seconds: round(seconds, 1), deleted, perSec: Math.round(n / seconds), cpuMsPerDoc: n && c0 !== undefined && c1 !== undefined ? round((c1 - c0) / n, 2) : null },
      });
      // A long run's figures so far, should it be cut short.
      process.stderr.write(`bench retention: ${JSON.stringify(figures.at(-1))}\n`);
    }
    const first = figures[0]!.probe;
    const last = figures[figures.length - 1]!.probe;
    return {
      ...o,
      db: process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded',
      loadPerSec: loadMs ? Math.round(state.loaded / (loadMs / 1000)) : 0,
      figures,
      insertRatio: round(last.insertSignals500Ms / first.insertSignals500Ms, 2),
      insertCpuRatio: first.insertSignals500CpuMs && last.insertSignals500CpuMs !== null ? round(last.insertSignals500CpuMs / first.insertSignals500CpuMs, 2) : null,
    };
  } finally {
    await client.db().dropDatabase().catch(() => {});
    await client.close();
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measure({ ...RETENTION_SIZES, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<RetentionOptions>) })));
  process.exit(0);
}
