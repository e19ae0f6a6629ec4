// Simulator memory: runSimulation over generated JSONL files of 100k and 1M lines, each in a child process
// of its own, with the alerts streamed out to nowhere. Peak RSS must stay flat from 100k to 1M lines
// (external sorts spill to disk, only in-window state is held).
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRules } from '../src/correlation/rule.js';
import { runSimulation, writeSimulationJson } from '../src/correlation/simulator.js';
import { benchRules, generateSignals, isMain, peakRssMb, round, runChild } from './support.js';

export interface SimulateRun {
  lines: number;
  fileMb: number;
  seconds: number;
  alerts: number;
  rssMb: number;
}

export interface SimulateBench {
  rules: number;
  rssMb100k: number;
  rssMb1M: number;
  /** rssMb1M / rssMb100k: 1.0 is perfectly flat. */
  rssRatio: number;
  /** The same runs with V8's old space capped at this size (MB): both sizes must finish within it. */
  cappedHeapMb: number;
  cappedRssMb100k: number;
  cappedRssMb1M: number;
  cappedRssRatio: number;
  seconds100k: number;
  seconds1M: number;
  alerts1M: number;
  fileMb1M: number;
}

const RULES = 5;
const GROUP_KEYS = 10_000;

async function writeSignalsFile(path: string, lines: number): Promise<void> {
  const out = createWriteStream(path);
  for (const signal of generateSignals(lines, { groupKeys: GROUP_KEYS })) {
    if (!out.write(`${JSON.stringify(signal)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const CAPPED_HEAP_MB = 96;

export async function benchSimulate(sizes = { small: 100_000, large: 1_000_000 }): Promise<SimulateBench> {
  const dir = mkdtempSync(join(tmpdir(), 'taser-bench-sim-'));
  try {
    const run = async (lines: number): Promise<[SimulateRun, SimulateRun]> => {
      const file = join(dir, `signals-${lines}.jsonl`);
      await writeSignalsFile(file, lines);
      // Once as a user runs it, where V8 lets the heap grow lazily, and once with the heap capped: finishing
      // 1M lines in the same small heap as 100k shows what the simulator retains does not grow with the input.
      const free = await runChild<SimulateRun>('./simulate-memory.ts', [file]);
      const capped = await runChild<SimulateRun>('./simulate-memory.ts', [file], [`--max-old-space-size=${CAPPED_HEAP_MB}`]);
      rmSync(file);
      return [free, capped];
    };
    const [small, smallCapped] = await run(sizes.small);
    const [large, largeCapped] = await run(sizes.large);
    return {
      rules: RULES,
      rssMb100k: small.rssMb,
      rssMb1M: large.rssMb,
      rssRatio: round(large.rssMb / small.rssMb),
      cappedHeapMb: CAPPED_HEAP_MB,
      cappedRssMb100k: smallCapped.rssMb,
      cappedRssMb1M: largeCapped.rssMb,
      cappedRssRatio: round(largeCapped.rssMb / smallCapped.rssMb),
      seconds100k: small.seconds,
      seconds1M: large.seconds,
      alerts1M: large.alerts,
      fileMb1M: large.fileMb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(file: string): Promise<SimulateRun> {
  const started = performance.now();
  const run = await runSimulation(parseRules(benchRules(RULES)), file);
  let alerts = 0;
  // The CLI's own output path, written nowhere: the alerts are streamed, never collected.
  await writeSimulationJson({ stats: run.stats, alerts: countAlerts(run.alerts, () => alerts++) }, () => {});
  return {
    lines: run.stats.lines,
    fileMb: round(statSync(file).size / 1024 / 1024, 1),
    seconds: round((performance.now() - started) / 1000),
    alerts,
    rssMb: peakRssMb(),
  };
}

async function* countAlerts<T>(alerts: AsyncIterable<T>, count: () => void): AsyncGenerator<T> {
  for await (const alert of alerts) {
    count();
    yield alert;
  }
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measure(process.argv[2]!)));
}
