// `npm run bench`: prints the benchmark figures as a table, or one JSON object with `-- --json`.
// The correlation parts each run in child processes of their own (see bench/support.ts runChild).
import { benchPositron } from './positron.js';
import { benchEngine } from './correlation-engine.js';
import { benchSimulate } from './simulate-memory.js';
import { benchE2e } from './e2e.js';
import { benchStore, storeRows } from './store.js';

const json = process.argv.includes('--json');
const results: Record<string, unknown> = {};
// Progress goes to stderr so `--json` prints exactly one JSON object on stdout.
const step = (what: string) => process.stderr.write(`bench: ${what}...\n`);

step('positron');
const positron = await benchPositron();
results.positron = positron;
step('correlation engine (1M signals)');
const engine = await benchEngine();
results.engine = engine;
step('simulator memory (100k and 1M lines)');
const simulate = await benchSimulate();
results.simulate = simulate;
step(`embedded database, FerretDB on SQLite as released vs patched${process.argv.includes('--store-1m') ? ' (up to 1M documents: about an hour)' : ''}`);
const store = await benchStore(process.argv.includes('--store-1m') ? { sizes: [10_000, 100_000, 1_000_000] } : {});
results.store = store;
step('end to end through POST /signals');
const e2e = await benchE2e();
results.e2e = e2e;
results.db = e2e.db;

if (json) {
  console.log(JSON.stringify(results));
} else {
  const rows: [string, string, string][] = [
    ['positron.totalMs', String(positron.totalMs), `five providers of ${positron.latencies.join('/')} ms: slowest ${positron.slowestMs} ms`],
    ['positron.overSlowestMs', String(positron.overSlowestMs), 'target: within 10 ms of the slowest provider'],
    ['positron.hungTotalMs', String(positron.hungTotalMs), `a hung provider with a ${positron.hungDeadlineMs} ms deadline: target ~${positron.hungDeadlineMs} ms`],
    ['positron.fanOutOverheadUs', String(positron.fanOutOverheadUs), 'per query, five instant providers (fan-out + validation + ranking)'],
    ['engine.signalsPerSec', String(engine.signalsPerSec), `${engine.rules} rules, ${engine.groupKeys} group keys, ${engine.signals} signals, one core (prepareSignal + process + evictIdle); target >= 500000`],
    ['engine.signalsPerCpuSec', String(engine.signalsPerCpuSec), `same, per CPU second; reference loop ${engine.refLoopMs.join('/')} ms before/after (~90 idle)`],
    ['engine.peakRssMb', String(engine.peakRssMb), `peak RSS of the engine's own process; ${engine.alerts} alerts, ${engine.appended} appended, ${engine.groups} groups held at the end`],
    ['simulate.rssMb100k', String(simulate.rssMb100k), `runSimulation, ${simulate.rules} rules, 100k lines: ${simulate.seconds100k} s`],
    ['simulate.rssMb1M', String(simulate.rssMb1M), `1M lines (${simulate.fileMb1M} MB): ${simulate.seconds1M} s, ${simulate.alerts1M} alerts`],
    ['simulate.rssRatio', String(simulate.rssRatio), 'peak RSS 1M / 100k with the default heap (V8 grows it lazily): 1.0 is flat'],
    ['simulate.cappedRssMb100k', String(simulate.cappedRssMb100k), `the same with the heap capped at ${simulate.cappedHeapMb} MB`],
    ['simulate.cappedRssMb1M', String(simulate.cappedRssMb1M), `1M lines in the same capped heap`],
    ['simulate.cappedRssRatio', String(simulate.cappedRssRatio), 'capped 1M / 100k: what the simulator retains does not grow with the input'],
    ['db', e2e.db, 'MONGODB_URI when set, else the embedded FerretDB'],
    ['e2e.signalsPerSec', String(e2e.signalsPerSec), `${e2e.batches} POSTs of ${e2e.batchSize} signals, ${e2e.concurrency} in flight, ${e2e.rules} rules, ${e2e.groupKeys} group keys: first POST to all correlated${e2e.complete ? '' : ` (INCOMPLETE: ${e2e.correlated}/${e2e.signals} correlated in the time limit)`}`],
    ['e2e.acceptedPerSec', String(e2e.acceptedPerSec), 'until the last POST was answered (stored, correlation still running)'],
    ['e2e.rawInsertPerSec', String(e2e.rawInsertPerSec), 'insertMany of the same documents, same batches and concurrency, same indexes'],
    ['e2e.ratio', String(e2e.ratio), 'e2e / raw insert: target >= 0.5'],
    ['e2e.p50Ms', String(e2e.p50Ms), `POST to alert stored, ${e2e.triggers} trigger signals (one per batch)`],
    ['e2e.p99Ms', String(e2e.p99Ms), `${e2e.alerts} alerts, ${e2e.cardsPosted} cards posted, ${e2e.warnings} warnings logged`],
    ...e2e.topWarnings.map((w): [string, string, string] => ['e2e.warning', '', w]),
    ...storeRows(store),
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(10)}  ${note}`);
}
