// Where the bundled folders are: the repository root in a checkout, dist/ in the container image.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_PLUGINS_DIR = join(ROOT, 'plugins');
export const BLOCKS_DIR = join(ROOT, 'blocks');
export const MANIFESTS_DIR = join(ROOT, 'manifests');

/** taser's version from package.json: at ROOT in a checkout, one folder above dist/ in the image. */
export function taserVersion(): string {
  const file = [join(ROOT, 'package.json'), join(ROOT, '..', 'package.json')].find((f) => existsSync(f));
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown';
}
