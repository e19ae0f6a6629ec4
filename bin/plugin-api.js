// `taser/plugin` (package.json "exports"): what plugins outside this repository import. Like bin/taser.js, it
// is the TypeScript source in a checkout (loaded through tsx) and the compiled JavaScript in the image.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'plugins', 'sdk.ts');
const api = await import(pathToFileURL(existsSync(source) ? source : join(root, 'dist', 'src', 'plugins', 'sdk.js')).href);

export const {
  z, definePlugin, UserError, signalSchema, loadPluginForUnitTest,
  IP_TO_HOSTNAME, HOSTNAME_TO_IP, USER_INFO, USER_MANAGER, ONCALL_FOR_TEAM, DOMAIN_INFO, HASH_REPUTATION,
} = api;
