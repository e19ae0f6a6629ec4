// `npm run bench`: prints the benchmark figures as a table, or one JSON object with `-- --json`.
import { benchPositron } from './positron.js';

const json = process.argv.includes('--json');
const results: Record<string, unknown> = {};

const positron = await benchPositron();
results.positron = positron;

if (json) {
  console.log(JSON.stringify(results));
} else {
  const rows: [string, string, string][] = [
    ['positron.totalMs', String(positron.totalMs), `five providers of ${positron.latencies.join('/')} ms: slowest ${positron.slowestMs} ms`],
    ['positron.overSlowestMs', String(positron.overSlowestMs), 'target: within 10 ms of the slowest provider'],
    ['positron.hungTotalMs', String(positron.hungTotalMs), `a hung provider with a ${positron.hungDeadlineMs} ms deadline: target ~${positron.hungDeadlineMs} ms`],
    ['positron.fanOutOverheadUs', String(positron.fanOutOverheadUs), 'per query, five instant providers (fan-out + validation + ranking)'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(10)}  ${note}`);
}
