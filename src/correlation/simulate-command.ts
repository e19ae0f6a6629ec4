// `taser simulate --rules RULES --signals SIGNALS.jsonl [--json]`, and the backtest of one rule on the stored
// signals: `taser simulate --rule ID --since 30d [--rules FILE] [--json]`.
import { constants } from 'node:os';
import { loadRulesFile, RuleError, type Rule } from './rule.js';
import { runSimulation, SignalFileError, writeSimulationJson, type SimulatedAlert } from './simulator.js';
import { parseDuration } from './duration.js';
import type { BacktestReport } from './backtest.js';
import type { TerminalProgress } from '../app/terminal-progress.js';

export interface Io {
  stdout(text: string): Promise<void> | void;
  stderr(text: string): void;
}

export async function runSimulateCommand(options: { rules: string; signals: string; json: boolean; progress?: TerminalProgress }, io: Io): Promise<number> {
  // Interrupted (Ctrl-C): exit at once through process.exit, which stops the parse workers and removes the
  // sorts' temporary folders (sort-dirs.ts); a signal's default end would leave the folders behind.
  const interrupted = (signal: NodeJS.Signals) => process.exit(128 + (constants.signals[signal] ?? 0));
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    return await simulateFile(options, io);
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

async function simulateFile(options: { rules: string; signals: string; json: boolean; progress?: TerminalProgress }, io: Io): Promise<number> {
  let run;
  try {
    const rules = loadRulesFile(options.rules);
    run = await runSimulation(rules, options.signals, { onProgress: options.progress?.update });
  } catch (err) {
    if (err instanceof RuleError || err instanceof SignalFileError) {
      for (const problem of err.problems) io.stderr(`taser simulate: ${problem}\n`);
      return 1;
    }
    throw err;
  } finally {
    options.progress?.done();
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

export interface BacktestOptions {
  rule: string;
  since: string;
  /** A rules file to take the rule from (a draft); default: the rule as stored by the running bot. */
  rules?: string;
  json: boolean;
}

/** `taser simulate --rule ID --since 30d`: how often would the rule have fired on the stored signals? */
export async function runBacktestCommand(options: BacktestOptions, io: Io, now = new Date()): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`taser simulate: ${message}\n`);
    return 1;
  };
  const period = parseDuration(options.since);
  if (typeof period !== 'number') return fail(`--since: ${period.error}`);
  let draft: Rule | undefined;
  if (options.rules) {
    try {
      draft = loadRulesFile(options.rules).find((r) => r.id === options.rule);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      for (const problem of err.problems) io.stderr(`taser simulate: ${problem}\n`);
      return 1;
    }
    if (!draft) return fail(`${options.rules} has no rule "${options.rule}"`);
  }
  // The database and the stored rules, as the bot sees them (MONGODB_URI, or the embedded database); imported
  // here, so replaying a file does not load the MongoDB driver.
  const { loadConfig } = await import('../app/config.js');
  const { createLogger } = await import('../app/logger.js');
  const { openDatabase } = await import('../store/open.js');
  const { RuleStore } = await import('./rule-store.js');
  const { backtestRule } = await import('./backtest.js');
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', { write: (line) => io.stderr(line) });
  const opened = await openDatabase(config, logger);
  try {
    const rule = draft ?? (await new RuleStore(opened.database.db).get(options.rule))?.rule;
    if (!rule) return fail(`no stored rule "${options.rule}" (the bot stores the config file's rules at start; or give --rules FILE)`);
    const report = await backtestRule(opened.database.db, rule, new Date(now.getTime() - period), now);
    await io.stdout(options.json ? `${JSON.stringify(report)}\n` : formatBacktest(report));
    return 0;
  } finally {
    await opened.close();
  }
}

export function formatBacktest(r: BacktestReport): string {
  const lines = [`rule ${r.rule}, ${r.since} to ${r.until}: ${r.signals} stored signals, ${r.alerts} alerts`];
  if (r.signalsPerAlert) {
    const s = r.signalsPerAlert;
    lines.push(`signals per alert: min ${s.min}, median ${s.median}, mean ${s.mean}, max ${s.max}`);
  }
  if (r.alerts) {
    lines.push('', 'alerts per day:');
    for (const [day, n] of Object.entries(r.perDay)) lines.push(`  ${day}  ${n}`);
    lines.push('', 'groups that fired most:');
    for (const g of r.topGroups) lines.push(`  ${Object.entries(g.group).map(([k, v]) => `${k}=${v}`).join(' ') || '(all)'}  ${g.alerts}`);
  }
  return `${lines.join('\n')}\n`;
}
