// The container image's file layout, assembled without a Docker engine: what the Dockerfile's build stage
// compiles (dist/) and what its runtime stage copies, plus a deployment repository's Dockerfile applied on
// top (its COPY and ENV lines, with /app mapped to the folder). node_modules is linked, not reinstalled.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function copyNonTs(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (statSync(path).isDirectory()) copyNonTs(path, join(to, name));
    else if (!name.endsWith('.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(path, join(to, name));
    }
  }
}

/** Builds the taser image's /app into `app`: `npm run build` output, plugin assets, bin, blocks, manifests. */
export async function assembleTaserImage(app: string): Promise<void> {
  mkdirSync(app, { recursive: true });
  // Build stage: npm run build (tsc -p tsconfig.build.json), then plugin assets beside the compiled plugins and
  // the console's assets (its views, CSS and the JavaScript modules shared with the browser) beside its code.
  await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(app, 'dist')], { cwd: REPO_ROOT });
  copyNonTs(join(REPO_ROOT, 'plugins'), join(app, 'dist', 'plugins'));
  copyNonTs(join(REPO_ROOT, 'src', 'console'), join(app, 'dist', 'src', 'console'));
  // Runtime stage.
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, file), join(app, file));
  cpSync(join(REPO_ROOT, 'bin'), join(app, 'bin'), { recursive: true });
  cpSync(join(REPO_ROOT, 'blocks'), join(app, 'dist', 'blocks'), { recursive: true });
  cpSync(join(REPO_ROOT, 'manifests'), join(app, 'dist', 'manifests'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
}

/** Applies a deployment Dockerfile's COPY and ENV lines to an assembled image; returns its ENV (paths mapped). */
export function applyDeploymentDockerfile(repo: string, app: string): Record<string, string> {
  const env: Record<string, string> = {};
  const mapped = (path: string) => (path.startsWith('/app/') ? join(app, relative('/app', path)) : path);
  for (const line of readFileSync(join(repo, 'Dockerfile'), 'utf8').split('\n')) {
    const copy = /^COPY\s+(?:--\S+\s+)*(\S+)\s+(\S+)$/.exec(line.trim());
    if (copy) {
      const target = mapped(copy[2]!);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(repo, copy[1]!), target, { recursive: true });
    }
    const set = /^ENV\s+(\w+)=(\S+)$/.exec(line.trim());
    if (set) env[set[1]!] = mapped(set[2]!);
  }
  if (!existsSync(join(app, 'deploy'))) throw new Error('the deployment Dockerfile copied nothing under /app/deploy');
  return env;
}
