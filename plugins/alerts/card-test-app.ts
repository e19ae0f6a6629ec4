// Test support: the app options the outbox tests share (a passthrough webhook source, one count-1 rule on
// `finding` grouped by host, cards in one channel, updates at most once a second).
import { fileURLToPath } from 'node:url';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

const SOURCES = fileURLToPath(new URL('../../test/fixtures/plugins/sources', import.meta.url));

export function cardTestAppOptions(channel: string, token: string) {
  return {
    pluginDirs: [BUILTIN_PLUGINS_DIR, SOURCES],
    file: {
      plugins: { passthrough: { enabled: true }, alerts: { updateIntervalSeconds: 1 } },
      sources: { test: { auth: { type: 'bearer', tokenEnv: 'TEST_TOKEN' } } },
      rules: [{ id: 'finding', severity: 'high', parts: [{ match: { type: 'finding' }, count: 1 }], window: '1h', groupBy: ['host'] }],
      channels: { default: channel },
    },
    env: { TEST_TOKEN: token },
  };
}
