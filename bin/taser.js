#!/usr/bin/env node
// Entry point of the `taser` command. In a source checkout it runs the TypeScript sources through tsx;
// in the container image (no src/, compiled dist/) it runs the compiled JavaScript.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { BATCH_NODE_ENV, reexecFlags } from './node-flags.js';

const flags = reexecFlags(process.argv.slice(2), process.execArgv);
if (flags) {
  // A batch command runs in a child with V8 flags that only apply at start (bin/node-flags.js); this process
  // only passes signals on and exits as the child did.
  const child = spawn(process.execPath, [...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...BATCH_NODE_ENV, ...process.env },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const source = join(root, 'src', 'cli.ts');
  if (existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(source).href);
  } else {
    await import(pathToFileURL(join(root, 'dist', 'src', 'cli.js')).href);
  }
}
