// The `taser` command.
import { Command, Option } from 'commander';
import { taserVersion } from './app/paths.js';
import { ConfigError, EXIT_CONFIG, EXIT_UNAVAILABLE } from './app/errors.js';

// Subcommands import what they need when they run, so `taser --help` stays fast.

// Output piped into `head` closes early: end quietly instead of printing an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const version = taserVersion();

const program = new Command()
  .name('taser')
  .description('Slack-first security ChatOps bot: signals, correlation, alert cards, cases and Positron queries.')
  .version(version, '-V, --version', 'print the taser version')
  .showHelpAfterError()
  // Usage mistakes (unknown option, missing argument) exit 2, like every other usage error of taser.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

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
    const logger = createLogger(config.logLevel, undefined, config.logFormat);
    const taser = await startTaser({ config, mode: opts.http ? 'http' : 'socket', logger });
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: stop receiving, drain jobs, close MongoDB');
      const began = Date.now();
      taser.stop().then(
        () => {
          // How long it took: a shutdown that waits on nothing in flight should take about a second.
          logger.info({ ms: Date.now() - began }, 'shut down');
          process.exit(0);
        },
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
      '(docs/rules.md). A malformed rule or line is reported with its name or line number; exit 1. ' +
      'With --rule ID --since 30d instead: how often that rule would have fired on the signals stored in MongoDB ' +
      '(alerts per day, per group, signals per alert); the rule as stored, or from --rules FILE to try a draft. ' +
      'On a terminal, progress is shown on stderr.',
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
    const { terminalProgress } = await import('./app/terminal-progress.js');
    const progress = terminalProgress('taser simulate');
    process.exitCode = await runSimulateCommand({ rules: opts.rules, signals: opts.signals, json: Boolean(opts.json), progress }, io);
  });

program
  .command('preview')
  .description(
    'Show the alert cards a rules file would post for a signals file: runs the simulator, renders each card with the bot\'s ' +
      'templates and prints a Block Kit Builder link per card. Bad rules or lines: as simulate (exit 1). On a terminal, progress is shown on stderr.',
  )
  .requiredOption('--rules <file>', 'rules as YAML or JSON: a list, or {rules: [...]}')
  .requiredOption('--signals <file>', 'signals, one JSON object per line')
  .option('--json', 'print a JSON array of {rule, group, firstSeen, lastSeen, signals, message: {text, blocks}}')
  .action(async (opts: { rules: string; signals: string; json?: boolean }) => {
    const { runPreviewCommand } = await import('./alerts/preview.js');
    const { terminalProgress } = await import('./app/terminal-progress.js');
    process.exitCode = await runPreviewCommand(
      { rules: opts.rules, signals: opts.signals, json: Boolean(opts.json), progress: terminalProgress('taser preview') },
      {
        stdout: (t) => new Promise<void>((resolve) => (process.stdout.write(t) ? resolve() : process.stdout.once('drain', resolve))),
        stderr: (t) => process.stderr.write(t),
      },
    );
  });

const plugin = program.command('plugin').description('Plugin tools: check a plugin folder, start a new one');
plugin
  .command('check')
  .description('Validate a plugin folder (definition, namespace, config, Slack declaration, routes, templates against Block Kit); exits 1 with reasons. ' +
      'It IMPORTS AND RUNS the plugin\'s code (its module and setup): check a plugin from an untrusted pull request in ' +
      'CI (the workflow `taser init` writes), not on a workstation.')
  .argument('<path>', 'the plugin folder, e.g. plugins/help')
  .option('--config <file>', 'the deployment\'s config file (its plugins.<namespace> section is used), or a YAML file of the plugin\'s settings alone (default: the plugin\'s exampleConfig)')
  .action(async (path: string, opts: { config?: string }) => {
    const { checkPlugin, readPluginSettings } = await import('./plugins/check.js');
    const { BLOCKS_DIR } = await import('./app/paths.js');
    const settings = opts.config ? await readPluginSettings(path, opts.config) : undefined;
    const result = await checkPlugin(path, { settings, coreBlocksDir: BLOCKS_DIR });
    for (const line of result.summary) console.log(`ok   ${line}`);
    for (const line of result.problems) console.error(`FAIL ${line}`);
    console.log(result.ok ? `plugin check passed: ${path}` : `plugin check failed: ${path} (${result.problems.length} problem(s))`);
    process.exitCode = result.ok ? 0 : 1;
  });
plugin
  .command('new')
  .description('Write a new plugin folder (index.ts, README.md, a test) that passes `taser plugin check` and whose test passes')
  .argument('<name>', 'the namespace: lower-case letters, digits and -')
  .requiredOption('--kind <kind>', 'command (a /taser subcommand), source (a signal webhook), positron (a query provider) or job (scheduled)')
  .option('--dir <dir>', 'the folder that holds plugins', 'plugins')
  .action(async (name: string, opts: { kind: string; dir: string }) => {
    const { scaffoldPlugin } = await import('./plugins/scaffold.js');
    try {
      const files = scaffoldPlugin(opts.dir, name, opts.kind as never);
      for (const file of files) console.log(`wrote ${file}`);
      console.log(`next: taser plugin check ${opts.dir}/${name}, then enable it in taser.yaml (plugins.${name}.enabled: true)`);
    } catch (err) {
      console.error(`taser plugin new: ${(err as Error).message}`);
      process.exitCode = 2;
    }
  });

program
  .command('config')
  .description('Configuration tools')
  .command('check')
  .description(
    'Validate a config file without starting: its schema, every plugin it enables (built-in and from pluginPaths) with ' +
      'their settings and routes, ACL groups, sources, rules. Secrets are not read. Exit 1 with one line per problem. ' +
      'Like plugin check, it runs the code of the plugins it loads.',
  )
  .argument('<file>', 'the YAML config file, e.g. taser.yaml')
  .action(async (file: string) => {
    const { checkConfigFile } = await import('./app/config-check.js');
    const { BUILTIN_PLUGINS_DIR } = await import('./app/paths.js');
    const { problems, plugins } = await checkConfigFile(file, BUILTIN_PLUGINS_DIR);
    for (const line of problems) console.error(line);
    if (problems.length) {
      console.error(`config check failed: ${file} (${problems.length} problem(s))`);
      process.exitCode = 1;
      return;
    }
    console.log(`config check passed: ${file} (plugins enabled: ${plugins.join(', ') || 'none'})`);
  });

program
  .command('init')
  .description(
    'Scaffold a deployment repository in DIR: taser.yaml, plugins/ with an example plugin, a Dockerfile FROM the taser ' +
      'image, compose.yaml, GitHub Actions workflows (pull requests: config check, plugin check, the plugins\' tests, a ' +
      'Slack manifest diff; merges to main: build, push, optional rollout), CODEOWNERS and a README',
  )
  .argument('<dir>', 'a new or empty folder')
  .option('--image <ref>', 'the taser image to build FROM', 'ghcr.io/your-org/taser:0.1.0')
  .option('--owners <owner>', 'CODEOWNERS owner of everything: @user, @org/team or an e-mail', '@your-org/taser-admins')
  .action(async (dir: string, opts: { image: string; owners: string }) => {
    const { initDeploymentRepo } = await import('./deploy/init.js');
    try {
      for (const file of initDeploymentRepo(dir, opts)) console.log(`wrote ${file}`);
      console.log(`next: read ${dir}/README.md ("Add a plugin"), then git init and push it`);
    } catch (err) {
      console.error(`taser init: ${(err as Error).message}`);
      process.exitCode = 2;
    }
  });

program
  .command('manifest')
  .description(
    'Print the Slack app manifest (YAML) for the plugins the config enables: their slash commands, scopes and events, ' +
      'plus what the core needs. Paste it at https://api.slack.com/apps (Create New App > From an app manifest).',
  )
  .addOption(new Option('--mode <mode>', 'socket (taser start) or http (taser start --http)').choices(['socket', 'http']).default('socket'))
  .option('--config <file>', 'the deployment\'s config file (default: TASER_CONFIG; none: the plugins enabled by default)')
  .option('--url <url>', 'HTTP mode: the public base URL that reaches taser (default https://taser.example.com)')
  .option('--all-plugins', 'every plugin found, each with its exampleConfig (how manifests/*.yaml are made)')
  .action(async (opts: { mode: 'socket' | 'http'; config?: string; url?: string; allPlugins?: boolean }) => {
    const { renderManifest } = await import('./app/manifest-command.js');
    const config = opts.config ?? process.env.TASER_CONFIG;
    process.stdout.write(await renderManifest({ mode: opts.mode, config, url: opts.url, allPlugins: Boolean(opts.allPlugins) }));
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

const caseCommand = program.command('case').description("taser's cases, as stored (MongoDB): the same data /case and the HTTP API show");
const cliIo = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) };
caseCommand
  .command('show')
  .description('One case: its alerts, observables, assignee and backend sync state. Exit 1: no such case')
  .argument('<case>', 'the case number (12 or #12) or id')
  .option('--json', 'print the case as the HTTP API does')
  .action(async (ref: string, opts: { json?: boolean }) => {
    const { runCaseShow } = await import('./cases/cli.js');
    process.exitCode = await runCaseShow(ref, { json: Boolean(opts.json) }, cliIo);
  });
caseCommand
  .command('list')
  .description('Cases, newest first: number, status, severity, team, assignee, title, backend sync, link')
  .option('--status <status>', 'open or closed')
  .option('--team <team>', 'one team')
  .option('--assignee <who>', 'a Slack user id or e-mail')
  .option('--artifact <field=value>', 'cases holding this observable (or a bare value)')
  .option('--limit <n>', 'at most this many (default 20)')
  .option('--json', 'print a JSON array as the HTTP API lists')
  .action(async (opts: { status?: string; team?: string; assignee?: string; artifact?: string; limit?: string; json?: boolean }) => {
    const { runCaseList } = await import('./cases/cli.js');
    process.exitCode = await runCaseList(opts, cliIo);
  });

caseCommand
  .command('verify')
  .description("Recomputes the case log's hash chain: the first entry that differs, or the number of entries and the head. Exit 1: it does not hold (or no such case)")
  .argument('<case>', 'the case number (12 or #12) or id')
  .option('--json', 'print {ok, entries, head} or {ok: false, seq, problem, message} as the HTTP API does')
  .action(async (ref: string, opts: { json?: boolean }) => {
    const { runCaseVerify } = await import('./cases/export-cli.js');
    process.exitCode = await runCaseVerify(ref, { json: Boolean(opts.json) }, cliIo);
  });
caseCommand
  .command('export')
  .description('The whole case: alerts, signals, artifacts (where each was seen), the log with its chain and head. JSON to stdout unless --out')
  .argument('<case>', 'the case number (12 or #12) or id')
  .option('--format <format>', 'json (one document, the default) or csv (a zip of one file per table)')
  .option('--out <path>', 'a file; or a folder (existing, or ending in /): csv writes one file per table there')
  .action(async (ref: string, opts: { format?: string; out?: string }) => {
    const { runCaseExport } = await import('./cases/export-cli.js');
    process.exitCode = await runCaseExport(ref, opts, { ...cliIo, stdoutStream: process.stdout });
  });
program
  .command('artifacts')
  .description('Each distinct value of one artifact field in the alerts of a time range, with alert and signal counts and first/last seen')
  .requiredOption('--field <field>', 'the artifact field, e.g. username, src_ip')
  .option('--rule <id>', 'only alerts of this rule')
  .option('--since <duration>', 'how far back, e.g. 30d, 12h (default 30d, at most 366d)')
  .option('--format <format>', 'json (default) or csv')
  .action(async (opts: { field?: string; rule?: string; since?: string; format?: string }) => {
    const { runArtifacts } = await import('./cases/export-cli.js');
    process.exitCode = await runArtifacts(opts, cliIo);
  });

/**
 * Known start-up failures print their lines and exit with a sysexits code; anything else is a bug. Their
 * classes are imported here, not at the top, so `taser simulate` does not load the MongoDB driver and the
 * Slack clients (tens of MB); an error of a module that was never loaded is not an instance of its class.
 */
async function fail(err: unknown): Promise<never> {
  const [{ PluginLoadError }, { DatabaseUnavailableError }, { EmbeddedDbError }, { SlackUnreachableError }] = await Promise.all([
    import('./plugins/routes.js'),
    import('./store/mongo.js'),
    import('./store/embedded-db.js'),
    import('./app/slack-reach.js'),
  ]);
  if (err instanceof ConfigError || err instanceof PluginLoadError) {
    const lines = err instanceof ConfigError ? err.problems : err.message.split('\n');
    if (lines.length === 1) console.error(`taser: ${lines[0]}`);
    else {
      console.error('taser: the configuration needs fixing:');
      for (const line of lines) console.error(`  - ${line}`);
    }
    process.exit(EXIT_CONFIG);
  }
  if (err instanceof DatabaseUnavailableError || err instanceof EmbeddedDbError || err instanceof SlackUnreachableError) {
    console.error(`taser: ${err.message}`);
    process.exit(EXIT_UNAVAILABLE);
  }
  console.error('taser: unexpected error:', err);
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);
