// The console's simulator over stored signals: seeds N signals into a fresh database (the seeding rate is
// reported), then runs one simulation job (the same backtest as `taser simulate --rule --since`) and reports
// its time, its rate, the event loop's worst lag while it ran (responsiveness) and the process's peak RSS.
// Default 20,000 signals, a size the embedded database seeds in a minute or two; `-- --simulator-1m` seeds
// 1,000,000 (seedSignals in support.ts: about 20 minutes of loading plus the index build on this shared machine). With
// `-- --console-full` it runs instead over the console search bench's store (1,000,000 signals beside 125,000
// alerts, the test environment), seeded once for both.
// Target: 1,000,000 stored signals simulated in <= 60 s (>= 16,700 signals/s) with the event loop never held
// for more than 100 ms.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { connectDatabase } from '../src/store/mongo.js';
import { SignalStore } from '../src/signals/store.js';
import { SimulationJobs } from '../src/rules-console/simulations.js';
import { parseRule } from '../src/correlation/rule.js';
import { TemplateRenderer } from '../src/blocks/renderer.js';
import { BLOCKS_DIR } from '../src/app/paths.js';
import { benchDatabase, generateSignals, isMain, peakRssMb, round, runChild, seedSignals } from './support.js';

export interface SimulatorBench {
  signals: number;
  /** 0 when the store was seeded by another bench (`stored`). */
  seedPerSec: number;
  /** Where the signals came from. */
  store: string;
  seconds: number;
  signalsPerSec: number;
  alerts: number;
  maxLoopLagMs: number;
  p99LoopLagMs: number;
  rssMb: number;
}

/** A store another bench seeded: its URI and the period its signals span. */
export interface StoredSignals {
  uri: string;
  since: number;
  until: number;
  what: string;
}

async function run(size: number, stored?: StoredSignals): Promise<SimulatorBench> {
  const database = stored ? { uri: stored.uri, stop: async () => {} } : await benchDatabase('benchsim');
  const uri = new URL(database.uri);
  uri.searchParams.set('socketTimeoutMS', '600000');
  const db = await connectDatabase(uri.toString(), {});
  try {
    let start = Date.UTC(2026, 0, 5);
    let until = start + size * 2_000 + 1;
    let seedPerSec = 0;
    if (stored) {
      start = stored.since;
      until = stored.until;
    } else {
      const store = new SignalStore(db.db);
      const seedStart = performance.now();
      await seedSignals(store, generateSignals(size, { groupKeys: 2_000, stepMs: 2_000, start }), new Date(start));
      seedPerSec = Math.round(size / ((performance.now() - seedStart) / 1000));
    }

    const renderer = new TemplateRenderer();
    renderer.loadDirectory(BLOCKS_DIR);
    // The console estimates the period's total from its field summary (one small read, src/rules-console/service.ts),
    // not by counting the signals, which on the embedded database is a second pass over them beside the job's.
    const total = stored ? 1_000_000 : size;
    const jobs = new SimulationJobs(db.db, { renderer, logger: pino({ level: 'silent' }), estimate: async () => total });
    const rule = parseRule({ id: 'bench-sim', parts: [{ match: { type: 'duo_push_denied' }, count: 3 }], window: '1h', groupBy: ['username'] }, 'bench');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const t0 = performance.now();
    const id = await jobs.start(rule, {}, new Date(start), new Date(until), 'bench');
    await jobs.settled(id);
    const seconds = (performance.now() - t0) / 1000;
    lag.disable();
    const doc = await jobs.get(id);
    if (doc?.status !== 'done') throw new Error(`the simulation ended ${doc?.status}: ${doc?.error ?? ''}`);
    return {
      signals: doc.report!.signals,
      seedPerSec,
      store: stored?.what ?? `its own ${size} signals`,
      seconds: round(seconds, 1),
      signalsPerSec: Math.round(doc.report!.signals / seconds),
      alerts: doc.report!.alerts,
      maxLoopLagMs: round(lag.max / 1e6, 1),
      p99LoopLagMs: round(lag.percentile(99) / 1e6, 1),
      rssMb: peakRssMb(),
    };
  } finally {
    await db.close();
    await database.stop();
  }
}

/** In a child process (its peak RSS is the job's own); over `stored` signals, or over as many as it seeds. */
export function benchSimulator(options: { full?: boolean; stored?: StoredSignals } = {}): Promise<SimulatorBench> {
  const size = String(options.full ? 1_000_000 : 20_000);
  return runChild<SimulatorBench>('./simulator.ts', options.stored ? [size, JSON.stringify(options.stored)] : [size]);
}

if (isMain(import.meta.url)) {
  const stored = process.argv[3] ? (JSON.parse(process.argv[3]) as StoredSignals) : undefined;
  console.log(JSON.stringify(await run(Number(process.argv[2] ?? 20_000), stored)));
}
