// `taser positron QUERY ARGS [--json]`: the same Positron the bot runs (same providers, ACL config, cache and
// audit), for the operator on the server. Audited as `cli:<os user>`.
import { userInfo } from 'node:os';
import { WebClient } from '@slack/web-api';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { Metrics } from '../app/metrics.js';
import { BUILTIN_PLUGINS_DIR } from '../app/paths.js';
import { buildCore } from '../app/core.js';
import { loadPlugins } from '../plugins/loader.js';
import { openDatabase } from '../store/open.js';
import { resolve } from 'node:path';
import { UsageError } from './query-types.js';
import { UnknownQueryError } from './service.js';
import { presentResult } from './present.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function runPositronCli(query: string, args: string[], options: { json: boolean }, io: CliIo): Promise<number> {
  const config = loadConfig();
  // Logs go to stderr so stdout stays the answer (JSON with --json).
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', { write: (line) => io.stderr(line) });
  const plugins = await loadPlugins({
    searchDirs: [BUILTIN_PLUGINS_DIR, ...config.file.pluginPaths.map((p) => resolve(config.configDir, p))],
    settings: config.file.plugins,
  });
  const opened = await openDatabase(config, logger);
  try {
    const slack = new WebClient(config.slack.botToken ?? 'xoxb-not-configured', {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      retryConfig: { retries: 1 },
    });
    const core = buildCore({ config, plugins, db: opened.database.db, slack, logger, metrics: new Metrics({ defaultMetrics: false }) });
    let result;
    try {
      result = await core.positron.run({ kind: 'cli', user: userInfo().username }, query, { args });
    } catch (err) {
      await core.http.close();
      if (err instanceof UsageError || err instanceof UnknownQueryError) {
        io.stderr(`taser positron: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    await core.http.close();
    if (options.json) {
      io.stdout(`${JSON.stringify(result)}\n`);
    } else {
      const view = presentResult(result);
      const lines = [view.headline];
      if (view.top) lines.push(`  from ${view.top.sources}`);
      for (const alt of view.alternatives) lines.push(`  alternative: ${alt.summary} (from ${alt.sources})`);
      if (!view.top) lines.push(`  ${view.noAnswer}`);
      for (const failure of view.failures) lines.push(`  failed: ${failure}`);
      lines.push(`  ${view.footer}`);
      io.stdout(`${lines.join('\n')}\n`);
    }
    return result.top ? 0 : 1;
  } finally {
    await opened.close();
  }
}
