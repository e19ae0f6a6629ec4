// The embedded default database: FerretDB (MongoDB wire protocol over SQLite) built from the small Go program
// in ./embedded, with the patches in ./embedded (*.patch, in name order) applied to FerretDB and those in
// ./embedded/modernc-sqlite to its SQLite driver. Used by the test harness and by `taser start` when MONGODB_URI is not set. Production uses a
// real MongoDB replica set (compose.yaml).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'embedded');

export class EmbeddedDbError extends Error {
  override readonly name = 'EmbeddedDbError';
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'taser');
}

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
/**
 * Our fixes to FerretDB's SQLite backend (see docs/performance.md): every `*.patch` file in
 * ./embedded, applied in name order (`10-…`, `20-…`), so each fix stays one reviewable file.
 */
function patchFiles(dir = SOURCE_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.patch')).sort();
}

/** FerretDB's dependencies we patch too, each from the `*.patch` files of its folder in ./embedded, in name order. */
const PATCHED_DEPENDENCIES = [
  { module: 'modernc.org/sqlite', folder: 'modernc-sqlite' },
  { module: 'modernc.org/libc', folder: 'modernc-libc' },
] as const;

/** Every patch, as a path relative to ./embedded: FerretDB's, then each patched dependency's. */
function allPatchPaths(): string[] {
  return [...patchFiles(), ...PATCHED_DEPENDENCIES.flatMap(({ folder }) => patchFiles(join(SOURCE_DIR, folder)).map((f) => `${folder}/${f}`))];
}

/** The version of `module` that go.mod requires. */
function requiredVersion(module: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const version = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(\\S+)`, 'm').exec(readFileSync(join(SOURCE_DIR, 'go.mod'), 'utf8'))?.[1];
  if (!version) throw new EmbeddedDbError(`src/store/embedded/go.mod does not require ${module}`);
  return version;
}

export interface EmbeddedBuildOptions {
  /** false builds FerretDB as released, without taser's patch: only the storage benchmark compares the two. */
  patched?: boolean;
}

/** The binary's path for the current sources: rebuilt only when main.go, go.mod, go.sum or a patch changes. */
export function embeddedBinaryPath(options: EmbeddedBuildOptions = {}): string {
  if (!existsSync(join(SOURCE_DIR, 'main.go'))) {
    throw new EmbeddedDbError('MONGODB_URI is not set, and this installation (e.g. the container image) has no embedded database: set MONGODB_URI to your MongoDB server.');
  }
  const patched = options.patched ?? true;
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum', ...(patched ? allPatchPaths() : [])]) hash.update(file).update(readFileSync(join(SOURCE_DIR, file)));
  return join(cacheDir(), `ferretdb-embedded-${hash.digest('hex').slice(0, 16)}`);
}

/** FerretDB 1.24's modules need this Go (go.mod's `go` line); Debian bookworm's golang-go is 1.19. */
export const MIN_GO = [1, 24] as const;

/** Why the installed Go cannot build the embedded database, or undefined when it can. */
export function goProblem(versionOutput = spawnSync('go', ['version'], { encoding: 'utf8' }).stdout as string | null): string | undefined {
  const noDb = 'Either set MONGODB_URI to a MongoDB server (e.g. mongodb://127.0.0.1:27017/taser), or install';
  const want = `Go >= ${MIN_GO.join('.')} (https://go.dev/doc/install; Debian bookworm's golang-go package is 1.19, too old)`;
  if (!versionOutput) return `No MONGODB_URI is set and Go is not installed, so the embedded database cannot be built. ${noDb} ${want} and run again.`;
  const m = /go(\d+)\.(\d+)/.exec(versionOutput);
  if (!m) return undefined; // an unusual build of Go: let `go build` say what it thinks
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major > MIN_GO[0] || (major === MIN_GO[0] && minor >= MIN_GO[1])) return undefined;
  return `No MONGODB_URI is set and the installed Go is ${m[0]}, too old to build the embedded database. ${noDb} ${want} and run again.`;
}

function run(command: string, args: string[], cwd: string, what: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GOFLAGS: '-buildvcs=false' },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status}`;
    throw new EmbeddedDbError(`building the embedded database failed while ${what} (${command} ${args.join(' ')}: ${why}); see the output above`);
  }
  return result.stdout;
}

/** Files in the Go module cache are read-only: make the copy writable so the patch can change it. */
function makeWritable(path: string): void {
  chmodSync(path, 0o755);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) makeWritable(child);
    else chmodSync(child, 0o644);
  }
}

function applyPatches(moduleDir: string, patchDir = SOURCE_DIR): void {
  const hasPatch = spawnSync('patch', ['--version'], { stdio: 'ignore' }).status === 0;
  for (const file of patchFiles(patchDir)) {
    const patch = join(patchDir, file);
    if (hasPatch) run('patch', ['-p1', '--batch', '--forward', '--silent', '-i', patch], moduleDir, `applying ${file}`);
    else run('git', ['apply', '--unsafe-paths', patch], moduleDir, `applying ${file}`);
  }
}

/** Copies `module` at the version go.mod requires out of the Go module cache into `into`, writable. */
function copyModule(module: string, into: string): void {
  const version = requiredVersion(module);
  const info = JSON.parse(run('go', ['mod', 'download', '-json', `${module}@${version}`], SOURCE_DIR, `downloading ${module}`)) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new EmbeddedDbError(`go mod download gave no directory for ${module}@${version}: ${info.Error ?? 'no error given'}`);
  cpSync(info.Dir, into, { recursive: true });
  makeWritable(into);
}

/**
 * Builds the patched FerretDB: copies the pinned module (and each patched dependency) out of the Go module cache
 * into a scratch directory, applies our patches, points our main module at the copies (go mod edit -replace) and
 * builds there. The sources in the repository are never modified.
 */
function buildPatched(output: string, log: (line: string) => void): void {
  const scratch = mkdtempSync(join(dirname(output), 'build-'));
  try {
    log(`embedded database build 1/3: fetching ${[FERRETDB_MODULE, ...PATCHED_DEPENDENCIES.map((d) => d.module)].join(', ')} (Go module cache)`);
    const copies = [{ module: FERRETDB_MODULE, dir: 'ferretdb', patchDir: SOURCE_DIR }, ...PATCHED_DEPENDENCIES.map(({ module, folder }) => ({ module, dir: folder, patchDir: join(SOURCE_DIR, folder) }))];
    for (const { module, dir } of copies) copyModule(module, join(scratch, dir));
    log(`embedded database build 2/3: applying ${allPatchPaths().join(', ')}`);
    for (const { dir, patchDir } of copies) applyPatches(join(scratch, dir), patchDir);
    const mainDir = join(scratch, 'main');
    mkdirSync(mainDir);
    for (const file of ['main.go', 'go.mod', 'go.sum']) cpSync(join(SOURCE_DIR, file), join(mainDir, file));
    for (const { module, dir } of copies) run('go', ['mod', 'edit', `-replace=${module}=../${dir}`], mainDir, 'pointing the build at the patched copies');
    log('embedded database build 3/3: compiling with go build (a few minutes on the first run; later runs use the cached binary)');
    run('go', ['build', '-v', '-o', output, '.'], mainDir, 'compiling');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Builds the embedded database binary if it is not cached yet. Takes minutes the first time. */
export function ensureEmbeddedBinary(log: (line: string) => void = () => {}, options: EmbeddedBuildOptions = {}): string {
  const patched = options.patched ?? true;
  const binary = embeddedBinaryPath(options);
  if (existsSync(binary)) return binary;
  const problem = goProblem();
  if (problem) throw new EmbeddedDbError(problem);
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const started = Date.now();
  log(`building the embedded database (FerretDB${patched ? ` with taser's patches (${allPatchPaths().join(', ')})` : ', unpatched'}) into ${binary}; done once per version of its sources, it takes 3 to 10 minutes on 2 cores (Go prints each package as it compiles); set MONGODB_URI to skip it`);
  if (patched) buildPatched(partial, log);
  else run('go', ['build', '-o', partial, '.'], SOURCE_DIR, 'compiling');
  renameSync(partial, binary); // atomic: a concurrent build of the same sources just replaces it
  log(`embedded database built in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

export interface EmbeddedDb {
  /** mongodb://127.0.0.1:PORT/ */
  uri: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the embedded database on a free 127.0.0.1 port with its files in dataDir. */
export async function startEmbeddedDb(
  dataDir: string,
  options: { port?: number; log?: (line: string) => void; onUnexpectedExit?: (message: string) => void } & EmbeddedBuildOptions = {},
): Promise<EmbeddedDb> {
  const binary = ensureEmbeddedBinary(options.log, options);
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(binary, ['-listen', `127.0.0.1:${options.port ?? 0}`, '-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 60) stderrTail.shift();
  });

  const address = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EmbeddedDbError(`the embedded database did not start within 60 s:\n${stderrTail.join('\n')}`));
    }, 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^READY (\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolveReady(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new EmbeddedDbError(`the embedded database exited with code ${code}:\n${stderrTail.join('\n')}`));
    });
  });

  let stopping = false;
  // A database that dies under taser (a FerretDB panic) says why: its last lines on stderr.
  child.once('exit', (code, signal) => {
    if (!stopping) (options.onUnexpectedExit ?? options.log)?.(`the embedded database (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); its last output:\n${stderrTail.join('\n')}`);
  });

  return {
    uri: `mongodb://${address}/`,
    process: child,
    stop: () =>
      new Promise<void>((done) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}
