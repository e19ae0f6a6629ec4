// The `taser` command.
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, EXIT_CONFIG, EXIT_UNAVAILABLE } from './app/errors.js';
import { PluginLoadError } from './plugins/routes.js';
import { DatabaseUnavailableError } from './store/mongo.js';
import { EmbeddedDbError } from './store/embedded-db.js';

// Subcommands import what they need when they run, so `taser --help` stays fast.

const program = new Command()
  .name('taser')
  .description('Slack-first security ChatOps bot: signals, correlation, alert cards and Positron queries.')
  .showHelpAfterError();

program
  .command('start')
  .description(
    'Run the bot. Socket Mode when SLACK_APP_TOKEN is set (the development default); --http serves Slack at ' +
      '/slack/events instead. Without MONGODB_URI an embedded database is started (files under TASER_DATA_DIR).',
  )
  .addOption(new Option('--http', 'HTTP mode (production, several replicas): requires SLACK_SIGNING_SECRET'))
  .action(async (opts: { http?: boolean }) => {
    const { loadConfig } = await import('./app/config.js');
    const { createLogger } = await import('./app/logger.js');
    const { startTaser } = await import('./app/runtime.js');
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    const taser = await startTaser({ config, mode: opts.http ? 'http' : 'socket', logger });
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: stop receiving, drain jobs, close MongoDB');
      taser.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('simulate')
  .description(
    'Replay a signals file (JSON lines, any order) through the correlation engine from an empty state and report the alerts ' +
      '(shared/correlation/SEMANTICS.md). A malformed rule or line is reported with its name or line number; exit 1. ' +
      'With --rule ID --since 30d instead: how often that rule would have fired on the signals stored in MongoDB ' +
      '(alerts per day, per group, signals per alert); the rule as stored, or from --rules FILE to try a draft.',
  )
  .option('--rules <file>', 'rules as YAML or JSON: a list, or {rules: [...]}')
  .option('--signals <file>', 'signals, one JSON object per line')
  .option('--rule <id>', 'backtest this rule on the stored signals (with --since)')
  .option('--since <duration>', 'with --rule: how far back, e.g. 30d, 36h')
  .option('--json', 'print one JSON object')
  .action(async (opts: { rules?: string; signals?: string; rule?: string; since?: string; json?: boolean }) => {
    const io = {
      stdout: (t: string) => new Promise<void>((resolve) => (process.stdout.write(t) ? resolve() : process.stdout.once('drain', resolve))),
      stderr: (t: string) => void process.stderr.write(t),
    };
    const { runSimulateCommand, runBacktestCommand } = await import('./correlation/simulate-command.js');
    if (opts.rule !== undefined || opts.since !== undefined) {
      if (!opts.rule || !opts.since || opts.signals) {
        io.stderr('taser simulate: a backtest takes --rule ID and --since DURATION (and optionally --rules FILE), not --signals\n');
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runBacktestCommand({ rule: opts.rule, since: opts.since, rules: opts.rules, json: Boolean(opts.json) }, io);
      return;
    }
    if (!opts.rules || !opts.signals) {
      io.stderr('taser simulate: give --rules FILE and --signals FILE.jsonl (or --rule ID --since DURATION)\n');
      process.exitCode = 2;
      return;
    }
    process.exitCode = await runSimulateCommand({ rules: opts.rules, signals: opts.signals, json: Boolean(opts.json) }, io);
  });

program
  .command('preview')
  .description(
    'Show the alert cards a rules file would post for a signals file: runs the simulator, renders each card with the bot\'s ' +
      'templates and prints a Block Kit Builder link per card. Bad rules or lines: as simulate (exit 1).',
  )
  .requiredOption('--rules <file>', 'rules as YAML or JSON: a list, or {rules: [...]}')
  .requiredOption('--signals <file>', 'signals, one JSON object per line')
  .option('--json', 'print a JSON array of {rule, group, firstSeen, lastSeen, signals, message: {text, blocks}}')
  .action(async (opts: { rules: string; signals: string; json?: boolean }) => {
    const { runPreviewCommand } = await import('./alerts/preview.js');
    process.exitCode = await runPreviewCommand(
      { rules: opts.rules, signals: opts.signals, json: Boolean(opts.json) },
      {
        stdout: (t) => new Promise<void>((resolve) => (process.stdout.write(t) ? resolve() : process.stdout.once('drain', resolve))),
        stderr: (t) => process.stderr.write(t),
      },
    );
  });

const plugin = program.command('plugin').description('Plugin tools');
plugin
  .command('check')
  .description(
    'Validate a plugin folder (definition, namespace, config, routes, templates, manifests); exits 1 with reasons. ' +
      'It RUNS the plugin\'s code (it imports index.ts and calls its setup): check an untrusted plugin (a pull request) ' +
      'in CI or a throwaway container, never on a workstation or a server holding secrets',
  )
  .argument('<path>', 'the plugin folder, e.g. plugins/help')
  .option('--config <file>', 'a YAML file with the plugin\'s settings (default: the plugin\'s exampleConfig)')
  .action(async (path: string, opts: { config?: string }) => {
    const { checkPlugin } = await import('./plugins/check.js');
    const { BLOCKS_DIR, MANIFESTS_DIR } = await import('./app/paths.js');
    const settings = opts.config ? (parseYaml(readFileSync(opts.config, 'utf8')) as Record<string, unknown>) : undefined;
    const result = await checkPlugin(path, { settings, coreBlocksDir: BLOCKS_DIR, manifestsDir: MANIFESTS_DIR });
    for (const line of result.summary) console.log(`ok   ${line}`);
    for (const line of result.problems) console.error(`FAIL ${line}`);
    console.log(result.ok ? `plugin check passed: ${path}` : `plugin check failed: ${path} (${result.problems.length} problem(s))`);
    process.exitCode = result.ok ? 0 : 1;
  });

program
  .command('positron')
  .description('Ask Positron a standard question, as /positron does (same providers, ACL config, cache and audit). Exit 0: answered; 1: no answer; 2: bad query or arguments')
  .argument('<query>', 'e.g. IP_TO_HOSTNAME')
  .argument('[args...]', 'the query arguments, e.g. 10.1.2.3')
  .option('--json', 'print the full result as one JSON object')
  .action(async (query: string, args: string[], opts: { json?: boolean }) => {
    const { runPositronCli } = await import('./positron/cli.js');
    process.exitCode = await runPositronCli(query, args, { json: Boolean(opts.json) }, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    });
  });

/** Known start-up failures print their lines and exit with a sysexits code; anything else is a bug. */
function fail(err: unknown): never {
  if (err instanceof ConfigError || err instanceof PluginLoadError) {
    console.error('taser: cannot start, the configuration needs fixing:');
    for (const line of (err instanceof ConfigError ? err.problems : err.message.split('\n'))) console.error(`  - ${line}`);
    process.exit(EXIT_CONFIG);
  }
  if (err instanceof DatabaseUnavailableError || err instanceof EmbeddedDbError) {
    console.error(`taser: ${err.message}`);
    process.exit(EXIT_UNAVAILABLE);
  }
  console.error('taser: unexpected error:', err);
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);
