// `npm run bench`: prints the benchmark figures as a table, or one JSON object with `-- --json`.
// The correlation parts each run in child processes of their own (see bench/support.ts runChild).
import { benchPositron } from './positron.js';
import { benchEngine } from './correlation-engine.js';
import { benchSimulate } from './simulate-memory.js';
import { benchE2e, E2E_SUSTAINED, type E2eBench } from './e2e.js';
import { benchRetention, RETENTION_BIG, RETENTION_FLAT, type RetentionBench } from './retention.js';
import { benchCases } from './cases.js';
import { benchCaseExport } from './case-export.js';
import { benchCaseChannels } from './case-channels.js';
import { benchSlackEdge } from './slack-edge.js';
import { benchStore, storeRows } from './store.js';
import { benchConsoleSearch, consoleSearchRows } from './console-search.js';
import { benchSimulator } from './simulator.js';

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
const tenMillion = process.argv.includes('--simulate-10m');
step(`taser simulate (100k, 1M${tenMillion ? ' and 10M' : ''} lines)`);
const simulate = await benchSimulate({ tenMillion });
results.simulate = simulate;
step('Slack edge (signed requests through the HTTP receiver)');
const slackEdge = await benchSlackEdge();
results.slackEdge = slackEdge;
step(`embedded database, FerretDB on SQLite as released vs patched${process.argv.includes('--store-1m') ? ' (up to 1M documents: about an hour)' : ''}`);
const store = await benchStore(process.argv.includes('--store-1m') ? { sizes: [10_000, 100_000, 1_000_000] } : {});
results.store = store;
step('end to end through POST /signals');
const e2e = await benchE2e();
results.e2e = e2e;
results.db = e2e.db;
let sustained: E2eBench | undefined;
if (process.argv.includes('--sustained')) {
  step('end to end, sustained: 1,000 signals/s offered for 60 s (100-signal POSTs)');
  results.e2eSustained = sustained = await benchE2e(E2E_SUSTAINED);
}
let retention: RetentionBench | undefined;
const retentionBig = process.argv.includes('--retention-big');
if (process.argv.includes('--retention') || retentionBig) {
  step(`retention: the hot path's store operations and the retention job as the database grows${retentionBig ? ' (to 1M signals: about an hour)' : ''}`);
  results.retention = retention = await benchRetention(retentionBig ? RETENTION_BIG : {});
}
step('a case from an alert with 1,000 signals and 200 artifacts, mirrored to the TheHive fake');
const cases = await benchCases();
results.cases = cases;
step('exporting a case with 100,000 signals (JSON and CSV), each export in a fresh process');
const caseExport = await benchCaseExport();
results.caseExport = caseExport;
step('case channel messages through the Slack receiver into the case log');
const caseChannels = await benchCaseChannels();
results.caseChannels = caseChannels;
const consoleFull = process.argv.includes('--console-full');
step(`web console search (${consoleFull ? '125k alerts, 1M signals: long on the embedded database' : '2k alerts, 10k signals; -- --console-full for 125k/1M'})`);
// With --console-full the simulator runs over the search bench's 1M signals (seeded once, beside 125k alerts).
let seededSimulator: Awaited<ReturnType<typeof benchSimulator>> | undefined;
const consoleSearch = await benchConsoleSearch({ full: consoleFull, onSeeded: consoleFull ? async (stored) => void (seededSimulator = await benchSimulator({ stored })) : undefined });
results.consoleSearch = consoleSearch;
const fullSimulator = consoleFull || process.argv.includes('--simulator-1m');
step(`console simulator over ${fullSimulator ? '1,000,000' : '20,000'} stored signals`);
const simulator = seededSimulator ?? (await benchSimulator({ full: fullSimulator }));
results.simulator = simulator;

if (json) {
  console.log(JSON.stringify(results));
} else {
  const rows: [string, string, string][] = [
    ['positron.totalMs', String(positron.totalMs), `five providers of ${positron.latencies.join('/')} ms: slowest ${positron.slowestMs} ms`],
    ['positron.overSlowestMs', String(positron.overSlowestMs), 'target: within 10 ms of the slowest provider'],
    ['positron.hungTotalMs', String(positron.hungTotalMs), `a hung provider with a ${positron.hungDeadlineMs} ms deadline: target ~${positron.hungDeadlineMs} ms`],
    ['positron.fanOutOverheadUs', String(positron.fanOutOverheadUs), 'per query, five instant providers (fan-out + validation + ranking)'],
    ['engine.signalsPerSec', String(engine.signalsPerSec), `${engine.rules} rules, ${engine.groupKeys} group keys, ${engine.signals} signals, one core (prepareSignal + process + evictIdle), steady state after a 200k-signal warm-up, the median of ${engine.runs.length} runs (${engine.runs.join(' / ')}); target >= 500000`],
    ['engine.signalsPerCpuSec', String(engine.signalsPerCpuSec), `same, per CPU second; reference loop ${engine.refLoopMs.join('/')} ms before/after (35-45 idle)`],
    ['engine.peakRssMb', String(engine.peakRssMb), `peak RSS of the engine's own process; ${engine.alerts} alerts, ${engine.appended} appended, ${engine.groups} groups held at the end`],
    ...Object.entries(simulate.runs).map(([size, r]): [string, string, string] => [`simulate.${size}.signalsPerSec`, String(r.signalsPerSec), `${r.lines} lines (${r.fileMb} MB), ${simulate.rules} rules, ${simulate.groupKeys} group keys: ${r.seconds} s, ${r.signalsPerCpuSec}/CPU s, peak RSS ${r.rssMb} MB`]),
    ['simulate.signalsPerSec1M', String(simulate.signalsPerSec1M), 'taser simulate --json on 1M lines (compiled JS, bundled by esbuild), parsing, sorting and output included; target >= 150000'],
    ['simulate.rssMb1M', String(simulate.rssMb1M), 'peak RSS at 1M lines; target <= 150'],
    ['simulate.rssRatio', String(simulate.rssRatio), `peak RSS ${simulate.rssRatioOf} (1.0 is flat; 10M with -- --simulate-10m)`],
    ['slackEdge.commandP99Ms', String(slackEdge.commandP99Ms), `${slackEdge.concurrentCommands} signed /taser help at once on warm keep-alive connections, ack p50 ${slackEdge.commandP50Ms} ms, ${slackEdge.commandFailures} failed; target p99 < 100`],
    ['slackEdge.commandColdP99Ms', String(slackEdge.commandColdP99Ms), `the same burst, each on a new connection: ack p50 ${slackEdge.commandColdP50Ms} ms, ${slackEdge.commandColdFailures} failed`],
    ['slackEdge.interactionsPerSec', String(slackEdge.interactionsPerSec), `button clicks offered at ${slackEdge.interactionRate}/s for ${slackEdge.interactionSeconds} s, acked; target >= 1000`],
    ['slackEdge.interactionP99Ms', String(slackEdge.interactionP99Ms), `ack p50 ${slackEdge.interactionP50Ms} ms, ${slackEdge.interactionFailures} of ${slackEdge.interactionsSent} failed; auth.test calls after start: ${slackEdge.authTestCalls} (target 0)`],
    ['slackEdge.cpuUsPerRequest', String(slackEdge.cpuUsPerRequest), 'CPU of taser and the Slack fake per request, handlers included (not inflated by other load on the machine)'],
    ['slackEdge.handledSeconds', String(slackEdge.handledSeconds), `first click to every request run by its handler (${slackEdge.handled} claimed in the interaction ledger); taser's event-loop delay during the load p99 ${slackEdge.serverLoopDelayP99Ms} ms, max ${slackEdge.serverLoopDelayMaxMs} ms`],
    ['db', e2e.db, 'MONGODB_URI when set, else the embedded FerretDB'],
    ['e2e.signalsPerSec', String(e2e.signalsPerSec), `${e2e.batches} POSTs of ${e2e.batchSize} signals, ${e2e.concurrency} in flight, ${e2e.rules} rules, ${e2e.groupKeys} group keys: first POST to all correlated${e2e.complete ? '' : ` (INCOMPLETE: ${e2e.correlated}/${e2e.signals} correlated in the time limit)`}`],
    ['e2e.acceptedPerSec', String(e2e.acceptedPerSec), 'until the last POST was answered (stored, correlation still running)'],
    ['e2e.rawInsertPerSec', String(e2e.rawInsertPerSec), 'insertMany of the same documents, same batches and concurrency, same indexes'],
    ['e2e.ratio', String(e2e.ratio), 'e2e / raw insert: target >= 0.5'],
    ['e2e.p50Ms', String(e2e.p50Ms), `POST to alert stored, ${e2e.triggers} trigger signals (one per batch)`],
    ['e2e.p99Ms', String(e2e.p99Ms), `${e2e.alerts} alerts, ${e2e.cardsPosted} cards posted, ${e2e.warnings} warnings logged`],
    ...e2e.topWarnings.map((w): [string, string, string] => ['e2e.warning', '', w]),
    ...(sustained ? e2eSustainedRows(sustained) : [['e2eSustained', 'skipped', 'sustained 1,000 signals/s for 60 s: -- --sustained'] as [string, string, string]]),
    ...(retention ? retentionRows(retention) : [['retention', 'skipped', 'the hot path and the retention job as the database grows: -- --retention (to 20,000 signals), -- --retention-big (to 1M)'] as [string, string, string]]),
    ['cases.firstReplyMs', String(cases.firstReplyMs), `Create case submitted to the reply in the card's thread: alert of ${cases.signals} signals, ${cases.artifacts} artifacts`],
    ['cases.syncedMs', String(cases.syncedMs), `submitted to synced: the TheHive fake has the case and ${cases.theHiveObservables} observables`],
    ...caseExport.runs.map((r): [string, string, string] => [`caseExport.${r.format}.rssGrowthMb`, String(r.rssGrowthMb), `${caseExport.signals} signals in ${r.seconds} s (${r.signalsPerSec}/s), ${r.fileMb} MB file, peak RSS ${r.peakRssMb} MB from ${r.rssBeforeMb}; target: flat memory, growth < 100 MiB`]),
    ['caseChannels.loggedPerSec', String(caseChannels.loggedPerSec), `${caseChannels.messages} signed message events offered at ${caseChannels.rate}/s into one case channel, first POST to all in case_events${caseChannels.complete ? '' : ' (INCOMPLETE in the time limit)'}; target >= 50`],
    ['caseChannels.p99Ms', String(caseChannels.p99Ms), `POST to case event, p50 ${caseChannels.p50Ms} ms; ${caseChannels.failedPosts} POSTs not acked`],
    ...storeRows(store),
    ...consoleSearchRows(consoleSearch),
    ['simulator.seconds', String(simulator.seconds), `console simulator job over ${simulator.signals} stored signals (${simulator.store}${fullSimulator ? '' : '; default size, 1M with -- --console-full or -- --simulator-1m'}${simulator.seedPerSec ? `, seeded at ${simulator.seedPerSec}/s` : ''}): ${simulator.signalsPerSec} signals/s, ${simulator.alerts} alerts, peak RSS ${simulator.rssMb} MB; target 1M in <= 60 s`],
    ['simulator.signalsPerSec', String(simulator.signalsPerSec), 'target >= 16700 (1M in 60 s)'],
    ['simulator.maxLoopLagMs', String(simulator.maxLoopLagMs), `event loop lag while it ran, p99 ${simulator.p99LoopLagMs} ms; target max < 100`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(10)}  ${note}`);
}

function e2eSustainedRows(s: E2eBench): [string, string, string][] {
  return [
    ['e2eSustained.p99Ms', String(s.p99Ms), `POST to alert stored at ${s.rate} signals/s offered for ${s.seconds} s (${s.batches} POSTs of ${s.batchSize}), p50 ${s.p50Ms} ms over ${s.triggers} triggers; target p99 < 1000`],
    ['e2eSustained.ratio', String(s.ratio), `${s.signalsPerSec}/s correlated against ${s.rawInsertPerSec}/s raw insertMany in the same run: at most ${s.rate}/${s.rawInsertPerSec} = ${Math.round(((s.rate ?? 0) / s.rawInsertPerSec) * 1000) / 1000} here, since no more than the offered ${s.rate}/s can be correlated (the >= 0.5 target is e2e.ratio's, at full speed); keeping up means ${s.signalsPerSec} = ${s.rate}`],
    ['e2eSustained.serverCpuMsPerSignal', String(s.cpuMsPerSignal.server ?? 'n/a'), `database server CPU per signal, first POST to all correlated (raw insertMany of the same signals: ${s.cpuMsPerSignal.rawInsertServer ?? 'n/a'}); taser's CPU per signal ${s.cpuMsPerSignal.taser}`],
    ['e2eSustained.docsPerPost', '', `rows per POST by command and collection: ${JSON.stringify(s.storeDocsPerPost)}`],
    ['e2eSustained.acceptedPerSec', String(s.acceptedPerSec), `accepted; ${s.signalsPerSec}/s correlated${s.complete ? '' : ` (INCOMPLETE: ${s.correlated}/${s.signals}, ${s.stored} stored)`}, ${s.throttled} throttled (429), ${s.unavailable} 503, ${s.failedPosts} POSTs unanswered in 60 s, ${s.warnings} warnings`],
  ];
}

function retentionRows(r: RetentionBench): [string, string, string][] {
  const sizes = r.figures.map((f) => f.signals).join(' / ');
  const each = (pick: (f: RetentionBench['figures'][number]) => unknown) => r.figures.map(pick).join(' / ');
  return [
    // Server CPU where it is known (the embedded database): on a shared machine the wall time is mostly the others' load.
    ['retention.insertCpuRatio', String(r.insertCpuRatio ?? 'n/a'), `server CPU of an insertMany of 500 signals at ${r.figures.at(-1)!.signals} stored signals over the fresh database's; target <= ${RETENTION_FLAT}`],
    ['retention.insertRatio', String(r.insertRatio), `the same in wall time${r.insertCpuRatio === null ? `; target <= ${RETENTION_FLAT}` : ''}`],
    ['retention.insertSignals500Ms', each((f) => f.probe.insertSignals500Ms), `median ms at ${sizes} stored signals; server CPU ${each((f) => f.probe.insertSignals500CpuMs ?? 'n/a')} ms (loaded at ${r.loadPerSec} signals/s)`],
    ['retention.ledgerClaim100Ms', each((f) => f.probe.ledgerClaim100Ms), `median ms at the same sizes (${each((f) => f.slackEvents)} Slack event ids; ledger and Positron cache alike); target: flat`],
    ['retention.slackEventInsertMs', each((f) => f.probe.slackEventInsertMs), 'median ms; target: flat'],
    ['retention.positronCacheUpsertMs', each((f) => f.probe.positronCacheUpsertMs), 'median ms; target: flat'],
    ['retention.findSignalByIdMs', each((f) => f.probe.findSignalByIdMs), 'median ms; target: flat'],
    ['retention.searchArtifactMs', each((f) => f.probe.searchArtifactMs), `the console's search by artifact value, a page of 50, median ms (server CPU ${each((f) => f.probe.searchArtifactCpuMs ?? 'n/a')})`],
    ['retention.update100BulkMs', each((f) => f.probe.update100.bulkMs), `100 updateOnes by _id as one bulkWrite, median ms (server CPU ${each((f) => f.probe.update100.bulkCpuMs ?? 'n/a')}); as 100 commands ${each((f) => f.probe.update100.commandsMs)} ms (server CPU ${each((f) => f.probe.update100.commandsCpuMs ?? 'n/a')})`],
    ['retention.jobPerSec', each((f) => f.job.perSec), `retention job deletions/s at each size, run for at most ${r.jobMs / 1000} s (server CPU ms per deletion ${each((f) => f.job.cpuMsPerDoc ?? 'n/a')}); deleted ${each((f) => JSON.stringify(f.job.deleted))}`],
  ];
}
