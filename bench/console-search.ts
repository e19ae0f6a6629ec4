// The web console's search on a large store: the page's whole query (one keyset page of 50 plus the
// histogram, which counts every match: src/store/time-buckets.ts) for alerts by artifact value, alerts by rule + a
// 7-day range, and signals by artifact value; the page alone is timed too (pageP95Ms), so the histogram's share
// shows. Target: p95 < 1,000 ms at the issue's size (an analyst "finds every alert about a username in a second"). The issue's size is 125,000 alerts and 1,000,000 signals (`-- --console-full`); the default is 2,000
// alerts and 10,000 signals, and other sizes can be given (`node bin/run-ts.js bench/console-search.ts
// '{"alerts":125000,"signals":100000}'`). Progress goes to stderr. `onSeeded` runs on the seeded store before it
// is dropped (index.ts runs the simulator bench over the same 1,000,000 signals with --console-full).
// Seeding: batches of 10,000, unordered, two in flight, and the indexes built once the load is done (on the
// embedded FerretDB that costs its process about 1.5x less CPU than keeping 5-6 indexes up to date per insert;
// FerretDB writes 100 documents per SQLite transaction whatever the batch). `--console-store=DIR` keeps the
// embedded database's files in DIR and reuses them on the next run when they hold the wanted counts, so the
// searches can be measured again without seeding again.
import { randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';
import { mkdirSync } from 'node:fs';
import { benchDatabase, generateSignals, inParallel, isMain, percentile, round, SEED_BATCH, seedSignals } from './support.js';
import { connectDatabase } from '../src/store/mongo.js';
import { startEmbeddedDb } from '../src/store/embedded-db.js';
import { SignalStore } from '../src/signals/store.js';
import { AlertStore, type StoredAlert } from '../src/correlation/alert-store.js';
import { CaseStore } from '../src/cases/store.js';
import { SEVERITIES } from '../src/signals/signal.js';
import { parseSearch } from '../src/console/search-query.js';
import { runSearch } from '../src/console/search-run.js';
import { benchSimulator, type StoredSignals } from './simulator.js';

export interface ConsoleSearchBench {
  db: string;
  alerts: number;
  signals: number;
  /** 0 when a kept store (--console-store) already held them. */
  seedAlertsPerSec: number;
  seedSignalsPerSec: number;
  /** Seconds the indexes took to build after the load (part of the seeding rates). */
  indexSeconds: number;
  queries: Record<string, { p50Ms: number; p95Ms: number; pageP95Ms: number; runs: number; rowsFirst: number; matchesFirst: number }>;
}

const GROUP_KEYS = 1000;
const RULES = 20;
const progress = (what: string) => process.stderr.write(`console-search: ${what}\n`);

export async function benchConsoleSearch(options: { full?: boolean; alerts?: number; signals?: number; onSeeded?: (stored: StoredSignals) => Promise<void> } = {}): Promise<ConsoleSearchBench> {
  const alertsWanted = options.alerts ?? (options.full ? 125_000 : 2_000);
  const signalsWanted = options.signals ?? (options.full ? 1_000_000 : 10_000);
  const RUNS = alertsWanted >= 100_000 ? 15 : 5;
  const kept = process.argv.find((a) => a.startsWith('--console-store='))?.slice('--console-store='.length);
  const bench = kept ? await keptDatabase(kept) : await benchDatabase('console');
  // A scan, or an index built over 1,000,000 documents, on the embedded database under load can take longer than
  // any socket timeout worth setting: none.
  const uri = new URL(bench.uri);
  uri.searchParams.set('socketTimeoutMS', '0');
  const database = await connectDatabase(uri.toString());
  try {
    const signals = new SignalStore(database.db);
    const alerts = new AlertStore(database.db);
    const cases = new CaseStore(database.db);
    const start = Date.UTC(2026, 9, 1);
    let seedSignalsPerSec = 0;
    let seedAlertsPerSec = 0;
    let indexSeconds = 0;
    // A kept store (--console-store) is reused collection by collection, as the marker of a finished seeding says
    // (counting 1,000,000 documents on the embedded database decodes every one: minutes).
    const seeded = database.db.collection<{ _id: string; count: number }>('bench_seeded');
    const marked = async (what: string) => (await seeded.findOne({ _id: what }))?.count ?? 0;
    const mark = (what: string, count: number) => seeded.replaceOne({ _id: what }, { count }, { upsert: true });
    const [haveSignals, haveAlerts] = await Promise.all([marked('signals'), marked('alerts')]);
    if (haveSignals === signalsWanted) {
      progress(`reusing the kept store's ${haveSignals} signals`);
      const t1 = Date.now();
      await signals.ensureIndexes();
      progress(`signal indexes checked in ${Math.round((Date.now() - t1) / 1000)} s`);
    } else {
      await dropIfThere(signals.collection);
      // Signals over 30 days (one every ~2.6 s at 1M), spread over 1,000 usernames.
      const generated = generateSignals(signalsWanted, { groupKeys: GROUP_KEYS, stepMs: Math.floor((30 * 86_400_000) / signalsWanted), start });
      const { loadSeconds: signalLoad, indexSeconds: signalIndexes } = await seedSignals(signals, generated, new Date(start), (n, perSec) => {
        if (n % 100_000 === 0) progress(`${n} signals loaded (${perSec}/s)`);
      });
      seedSignalsPerSec = Math.round(signalsWanted / (signalLoad + signalIndexes));
      indexSeconds += signalIndexes;
      await mark('signals', signalsWanted);
      progress(`${signalsWanted} signals stored at ${seedSignalsPerSec}/s (load ${Math.round(signalLoad)} s, indexes ${Math.round(signalIndexes)} s)`);
    }
    if (haveAlerts === alertsWanted) {
      progress(`reusing the kept store's ${haveAlerts} alerts`);
      await alerts.ensureIndexes();
    } else {
      await dropIfThere(alerts.collection);
      const t0 = Date.now();
      const alertStep = Math.floor((30 * 86_400_000) / alertsWanted);
      let next = 0;
      await inParallel(() => {
        if (next >= alertsWanted) return undefined;
        const docs: StoredAlert[] = [];
        for (; docs.length < SEED_BATCH && next < alertsWanted; next++) docs.push(benchAlert(next, start + next * alertStep));
        return docs;
      }, async (docs) => void (await alerts.collection.insertMany(docs, { ordered: false })));
      const alertLoad = (Date.now() - t0) / 1000;
      const t1 = Date.now();
      await alerts.ensureIndexes();
      const alertIndexes = (Date.now() - t1) / 1000;
      seedAlertsPerSec = Math.round(alertsWanted / (alertLoad + alertIndexes));
      indexSeconds = round(indexSeconds + alertIndexes, 0);
      await mark('alerts', alertsWanted);
      progress(`${alertsWanted} alerts stored at ${seedAlertsPerSec}/s (load ${Math.round(alertLoad)} s, indexes ${Math.round(alertIndexes)} s)`);
    }

    const deps = { correlation: { signals, alerts }, cases: { store: cases } };
    const measure = async (make: (i: number) => string) => {
      const times: number[] = [];
      const pageTimes: number[] = [];
      let rowsFirst = 0;
      let matchesFirst = 0;
      for (let i = 0; i < RUNS; i++) {
        const parsed = parseSearch(new URLSearchParams(make(i)));
        if (!parsed.ok) throw new Error(`bench query refused: ${JSON.stringify(parsed.errors)}`);
        let began = performance.now();
        const result = await runSearch(deps, parsed.search, { histogram: true });
        times.push(performance.now() - began);
        began = performance.now();
        await runSearch(deps, parsed.search, { histogram: false });
        pageTimes.push(performance.now() - began);
        progress(`search ${i + 1}/${RUNS}: ${Math.round(times.at(-1)!)} ms (page alone ${Math.round(pageTimes.at(-1)!)} ms), ${result.histogram?.total ?? 0} matches`);
        if (i === 0) {
          rowsFirst = result.rows.length;
          matchesFirst = result.histogram?.total ?? 0;
        }
      }
      return { p50Ms: round(percentile(times, 50), 0), p95Ms: round(percentile(times, 95), 0), pageP95Ms: round(percentile(pageTimes, 95), 0), runs: RUNS, rowsFirst, matchesFirst };
    };
    const day = (d: number) => new Date(start + d * 86_400_000).toISOString();
    const queries = {
      alertsByUsername: await measure((i) => `kind=alerts&field=username&artifact=user${(i * 37) % GROUP_KEYS}`),
      alertsByRuleAnd7d: await measure((i) => `kind=alerts&rule=rule-${i % RULES}&since=${day(10 + i)}&until=${day(17 + i)}`),
      signalsByValue: await measure((i) => `kind=signals&artifact=user${(i * 53) % GROUP_KEYS}`),
    };
    await options.onSeeded?.({ uri: bench.uri, since: start, until: start + 30 * 86_400_000, what: `the console search bench's ${signalsWanted} signals beside ${alertsWanted} alerts` });
    return { db: process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded FerretDB (SQLite)', alerts: alertsWanted, signals: signalsWanted, seedAlertsPerSec, seedSignalsPerSec, indexSeconds, queries };
  } finally {
    await database.close();
    await bench.stop();
  }
}

/** Drops a collection a stopped run left half seeded (none there: NamespaceNotFound, fine). */
async function dropIfThere(collection: Collection<any>): Promise<void> {
  await collection.drop().catch((err: unknown) => {
    if ((err as { code?: unknown }).code !== 26) throw err;
  });
}

/** Alert j of the bench: 20 rules, 1,000 usernames, 5 teams, spread over the 30 days. */
function benchAlert(j: number, firstSeen: number): StoredAlert {
  const key = (j * 7) % GROUP_KEYS;
  const first = new Date(firstSeen);
  const severityRank = j % SEVERITIES.length;
  const ip = `10.0.${(key >> 8) & 255}.${key & 255}`;
  return {
    _id: randomBytes(12).toString('hex'),
    ruleId: `rule-${j % RULES}`,
    ruleVersion: 1,
    group: { username: `user${key}` },
    episode: j,
    signals: [`bench/s${j}`, `bench/s${j + 1}`],
    signalCount: 2,
    firstSeen: first,
    lastSeen: new Date(first.getTime() + 600_000),
    severity: SEVERITIES[severityRank]!,
    severityRank,
    team: `team${j % 5}`,
    status: 'open',
    active: false,
    artifacts: [`username=user${key}`, `user${key}`, `src_ip=${ip}`, ip],
    history: [{ at: first, kind: 'created' }],
    createdAt: first,
    updatedAt: first,
  };
}

/** The embedded database on a kept directory (--console-store), with a fixed database name; never deleted. */
async function keptDatabase(dir: string): Promise<{ uri: string; stop(): Promise<void> }> {
  if (process.env.MONGODB_URI) throw new Error('--console-store keeps the embedded database; unset MONGODB_URI');
  mkdirSync(dir, { recursive: true });
  const embedded = await startEmbeddedDb(dir);
  const uri = new URL(embedded.uri);
  uri.pathname = '/console_kept';
  return { uri: uri.toString(), stop: () => embedded.stop() };
}

export function consoleSearchRows(r: ConsoleSearchBench): [string, string, string][] {
  return Object.entries(r.queries).map(([name, q]): [string, string, string] => [
    `consoleSearch.${name}.p95Ms`,
    String(q.p95Ms),
    `p50 ${q.p50Ms} ms over ${q.runs} searches (page of 50 + histogram of every match, ${q.matchesFirst} in the first; the page alone p95 ${q.pageP95Ms} ms), ${r.alerts} alerts / ${r.signals} signals on ${r.db} (${r.seedSignalsPerSec ? `seeded at ${r.seedAlertsPerSec} alerts/s, ${r.seedSignalsPerSec} signals/s, indexes built in ${r.indexSeconds} s after the load` : 'a kept store'}); target p95 < 1000 ms at 125k/1M (-- --console-full): every alert about a username in a second`,
  ]);
}

if (isMain(import.meta.url)) {
  const sizes = JSON.parse(process.argv.find((a) => a.startsWith('{')) ?? '{}') as { alerts?: number; signals?: number };
  // --simulator-1m: the simulator bench over the same stored signals, before the store is dropped.
  let simulator: unknown;
  const onSeeded = process.argv.includes('--simulator-1m') ? async (stored: StoredSignals) => void (simulator = await benchSimulator({ stored })) : undefined;
  const result = await benchConsoleSearch({ full: process.argv.includes('--console-full'), ...sizes, onSeeded });
  if (simulator) console.error(`simulator: ${JSON.stringify(simulator)}`);
  for (const [name, value, note] of consoleSearchRows(result)) console.log(`${name}  ${value}  ${note}`);
  console.log(JSON.stringify(result));
}
