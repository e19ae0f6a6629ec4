// `taser simulate` throughput and memory: the command's own code (runSimulateCommand, JSON output written to
// nowhere) over generated JSONL files with the bench's 20 rules and 10,000 group keys, each size in a child
// process of its own so its peak RSS is its own (bench/simulate-child.ts, bundled to JavaScript with esbuild
// first: compiled code, as the container image runs it; through tsx a process starts about 35 MB higher).
// 100k and 1M lines by default; 10M lines too with `npm run bench -- --simulate-10m` (about 2 GB of
// temporary file and several minutes).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { benchRules, generateSignals, round } from './support.js';

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

const { BATCH_NODE_FLAGS, BATCH_NODE_ENV } = (await import('../bin/node-flags.js' as string)) as { BATCH_NODE_FLAGS: string[]; BATCH_NODE_ENV: Record<string, string> };

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

/**
 * Bundles the child (its packages stay imports from node_modules, so the bundle sits in the checkout), and
 * beside it the parse worker, which the simulator starts from its own directory with its own extension.
 */
async function buildChild(): Promise<string> {
  const dir = fileURLToPath(new URL('../node_modules/.cache/taser-bench/', import.meta.url));
  const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
  const options = { bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' } as const;
  await build({ ...options, entryPoints: [source('../src/correlation/signal-parse-worker.ts')], outfile: join(dir, 'signal-parse-worker.mjs') });
  await build({ ...options, entryPoints: [source('./simulate-child.ts')], outfile: join(dir, 'simulate-child.mjs') });
  return join(dir, 'simulate-child.mjs');
}

function runCompiledChild(file: string, args: string[]): Promise<SimulateRun> {
  return new Promise((resolve, reject) => {
    // With the V8 flags and environment bin/taser.js re-runs `taser simulate` with, so the peak is the one a person gets.
    const child = spawn(process.execPath, [...BATCH_NODE_FLAGS, file, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...BATCH_NODE_ENV, ...process.env } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`taser simulate bench child exited with ${code}: ${last}`));
      resolve(JSON.parse(last) as SimulateRun);
    });
  });
}

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export async function benchSimulate(options: { tenMillion?: boolean } = {}): Promise<SimulateBench> {
  const dir = mkdtempSync(join(tmpdir(), 'taser-bench-sim-'));
  try {
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify(benchRules(RULES)));
    const child = await buildChild();
    const runs: Record<string, SimulateRun> = {};
    for (const lines of [100_000, 1_000_000, ...(options.tenMillion ? [10_000_000] : [])]) {
      const file = join(dir, `signals-${lines}.jsonl`);
      await writeSignalsFile(file, lines);
      runs[label(lines)] = await runCompiledChild(child, [rulesFile, file, String(lines)]);
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
