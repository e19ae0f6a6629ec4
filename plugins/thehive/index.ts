// TheHive 5 or 4 as taser's case backend: each taser case is mirrored to a TheHive case with its observables,
// tasks and linked alerts. The core's outbox calls the backend and retries what it marks retryable.
import { definePlugin } from '../../src/plugins/define.js';
import { theHiveConfig } from './config.js';
import { TheHiveBackend } from './backend.js';

export default definePlugin({
  namespace: 'thehive',
  description: 'Mirrors taser cases to TheHive 5 or 4 (case backend)',
  config: theHiveConfig,
  enabledByDefault: false,
  exampleConfig: { version: 5, url: 'https://thehive.example.com', organisation: 'SOC', apiKeyEnv: 'THEHIVE_API_KEY' },
  setup(plugin) {
    plugin.caseBackend({
      create(ctx) {
        const { config } = ctx;
        // Fail at start, naming the variable, rather than on the first case.
        if (!ctx.secret(config.apiKeyEnv)) throw new Error(`thehive: no API key: set the environment variable ${config.apiKeyEnv} (or ${config.apiKeyEnv}_FILE)`);
        return new TheHiveBackend({ config, apiKey: () => ctx.secret(config.apiKeyEnv), logger: ctx.logger });
      },
    });
  },
});
