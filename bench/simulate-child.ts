// The child of bench/simulate-memory.ts: one `taser simulate --json` run over a file, output written to
// nowhere, in a process of its own so its peak RSS is the command's. It is bundled to plain JavaScript before
// it runs (the container image runs compiled code, not tsx) and imports nothing but the command, so the
// figure holds no loader or bench code.
import { statSync } from 'node:fs';
import { runSimulateCommand } from '../src/correlation/simulate-command.js';

const [rules, file, lineCount] = process.argv.slice(2) as [string, string, string];
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const started = performance.now();
const cpu = process.cpuUsage();
let failed = '';
const code = await runSimulateCommand({ rules, signals: file, json: true }, { stdout: () => {}, stderr: (text) => (failed += text) });
if (code !== 0) throw new Error(`taser simulate failed: ${failed}`);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const lines = Number(lineCount);
console.log(
  JSON.stringify({
    lines,
    fileMb: round(statSync(file).size / 1024 / 1024, 1),
    seconds: round(seconds),
    signalsPerSec: Math.round(lines / seconds),
    signalsPerCpuSec: Math.round(lines / ((used.user + used.system) / 1e6)),
    rssMb: round(process.resourceUsage().maxRSS / 1024, 1),
  }),
);
