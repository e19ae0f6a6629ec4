// The API for plugins outside this repository (a deployment repository's plugins/): one import,
// `import { definePlugin, z } from 'taser/plugin'` (package.json "exports" -> bin/plugin-api.js). Everything a
// plugin needs at run time is here; the types come along for editors in a checkout.
export { z } from 'zod';
export { definePlugin } from './define.js';
export { UserError } from '../app/errors.js';
export { signalSchema } from '../signals/signal.js';
export { IP_TO_HOSTNAME, HOSTNAME_TO_IP, USER_INFO, USER_MANAGER, ONCALL_FOR_TEAM, DOMAIN_INFO, HASH_REPUTATION } from '../positron/query-types.js';
export { loadPluginForUnitTest, type PluginUnderTest } from './test-kit.js';
export type * from './types.js';
export type { Signal } from '../signals/signal.js';
