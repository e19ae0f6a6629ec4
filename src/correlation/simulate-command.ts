// `taser simulate --rules RULES --signals SIGNALS.jsonl [--json]`.
import { loadRulesFile, RuleError } from './rule.js';
import { runSimulation, SignalFileError, writeSimulationJson, type SimulatedAlert } from './simulator.js';

export interface Io {
  stdout(text: string): Promise<void> | void;
  stderr(text: string): void;
}

export async function runSimulateCommand(options: { rules: string; signals: string; json: boolean }, io: Io): Promise<number> {
  let run;
  try {
    const rules = loadRulesFile(options.rules);
    run = await runSimulation(rules, options.signals);
  } catch (err) {
    if (err instanceof RuleError || err instanceof SignalFileError) {
      for (const problem of err.problems) io.stderr(`taser simulate: ${problem}\n`);
      return 1;
    }
    throw err;
  }
  if (options.json) {
    await writeSimulationJson(run, (chunk) => io.stdout(chunk));
    return 0;
  }
  const { stats } = run;
  const rows: SimulatedAlert[] = [];
  for await (const alert of run.alerts) rows.push(alert);
  await io.stdout(`${stats.lines} lines, ${stats.signals} signals replayed, ${stats.duplicates} duplicates ignored, ${stats.alerts} alerts, ${stats.appended} appended signals\n\n`);
  for (const [rule, s] of Object.entries(stats.rules)) await io.stdout(`rule ${rule}: ${s.alerts} alerts, ${s.signals} signals held\n`);
  if (rows.length) await io.stdout('\n');
  for (const a of rows) {
    const group = Object.entries(a.group).map(([k, v]) => `${k}=${v}`).join(' ') || '(all)';
    await io.stdout(`${a.firstSeen}  ${a.rule}  ${group}  ${a.signals.length} signals  until ${a.lastSeen}\n`);
  }
  return 0;
}
