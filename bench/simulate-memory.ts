// `taser simulate` throughput and memory: the command's own code (runSimulateCommand, JSON output written to
// nowhere) over generated JSONL files with the bench's 20 rules and 10,000 group keys, each size in a child
// process of its own so its peak RSS is its own. 100k and 1M lines by default; 10M lines too with
// `npm run bench -- --simulate-10m` (about 2 GB of temporary file and several minutes).
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulateCommand } from '../src/correlation/simulate-command.js';
import { benchRules, generateSignals, isMain, peakRssMb, round, runChild } from './support.js';

export interface SimulateRun {
  lines: number;
  fileMb: number;
  seconds: number;
  /** Lines per second of wall time: reading, validating, sorting, replaying and writing the JSON. */
  signalsPerSec: number;
  signalsPerCpuSec: number;
  rssMb: number;
}

export interface SimulateBench {
  rules: number;
  groupKeys: number;
  runs: Record<string, SimulateRun>;
  /** 1M lines: the target figures. */
  signalsPerSec1M: number;
  rssMb1M: number;
  /** Peak RSS of the largest run over the 1M run's (1.0 is flat); 100k when 10M was not run. */
  rssRatio: number;
  rssRatioOf: string;
}

const RULES = 20;
const GROUP_KEYS = 10_000;

async function writeSignalsFile(path: string, lines: number): Promise<void> {
  const out = createWriteStream(path);
  for (const signal of generateSignals(lines, { groupKeys: GROUP_KEYS })) {
    if (!out.write(`${JSON.stringify(signal)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export async function benchSimulate(options: { tenMillion?: boolean } = {}): Promise<SimulateBench> {
  const dir = mkdtempSync(join(tmpdir(), 'taser-bench-sim-'));
  try {
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify(benchRules(RULES)));
    const runs: Record<string, SimulateRun> = {};
    for (const lines of [100_000, 1_000_000, ...(options.tenMillion ? [10_000_000] : [])]) {
      const file = join(dir, `signals-${lines}.jsonl`);
      await writeSignalsFile(file, lines);
      runs[label(lines)] = await runChild<SimulateRun>('./simulate-memory.ts', [rulesFile, file]);
      rmSync(file);
    }
    const base = runs['1M']!;
    const other = options.tenMillion ? '10M' : '100k';
    return {
      rules: RULES,
      groupKeys: GROUP_KEYS,
      runs,
      signalsPerSec1M: base.signalsPerSec,
      rssMb1M: base.rssMb,
      rssRatio: round(options.tenMillion ? runs['10M']!.rssMb / base.rssMb : base.rssMb / runs['100k']!.rssMb),
      rssRatioOf: options.tenMillion ? '10M / 1M' : '1M / 100k',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(rules: string, file: string): Promise<SimulateRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let failed = '';
  const code = await runSimulateCommand({ rules, signals: file, json: true }, { stdout: () => {}, stderr: (text) => (failed += text) });
  if (code !== 0) throw new Error(`taser simulate failed: ${failed}`);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const lines = countLines(file);
  return {
    lines,
    fileMb: round(statSync(file).size / 1024 / 1024, 1),
    seconds: round(seconds),
    signalsPerSec: Math.round(lines / seconds),
    signalsPerCpuSec: Math.round(lines / ((used.user + used.system) / 1e6)),
    rssMb: peakRssMb(),
  };
}

/** The file's line count, from its name (the bench names files by their size). */
function countLines(file: string): number {
  return Number(/signals-(\d+)\.jsonl$/.exec(file)?.[1] ?? NaN);
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measure(process.argv[2]!, process.argv[3]!)));
}
