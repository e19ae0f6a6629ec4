// Where the bundled folders are: the repository root in a checkout, dist/ in the container image.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_PLUGINS_DIR = join(ROOT, 'plugins');
export const BLOCKS_DIR = join(ROOT, 'blocks');
export const MANIFESTS_DIR = join(ROOT, 'manifests');
