// The embedded default database: FerretDB (MongoDB wire protocol over SQLite) built from the small Go program
// in ./embedded. Used by the test harness and by `taser start` when MONGODB_URI is not set. Production uses a
// real MongoDB replica set (compose.yaml).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
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

/** The binary's path for the current sources: rebuilt only when main.go or go.sum change. */
export function embeddedBinaryPath(): string {
  if (!existsSync(join(SOURCE_DIR, 'main.go'))) {
    throw new EmbeddedDbError('MONGODB_URI is not set, and this installation (e.g. the container image) has no embedded database: set MONGODB_URI to your MongoDB server.');
  }
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(SOURCE_DIR, file)));
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

/** Builds the embedded database binary if it is not cached yet. Takes minutes the first time. */
export function ensureEmbeddedBinary(log: (line: string) => void = () => {}): string {
  const binary = embeddedBinaryPath();
  if (existsSync(binary)) return binary;
  const problem = goProblem();
  if (problem) throw new EmbeddedDbError(problem);
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  log(
    `building the embedded database (FerretDB) into ${binary}: done once per version of its sources, it takes 3 to 10 ` +
      'minutes on 2 cores (Go prints each package as it compiles); set MONGODB_URI to skip it',
  );
  const started = Date.now();
  const result = spawnSync('go', ['build', '-v', '-o', partial, '.'], {
    cwd: SOURCE_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOFLAGS: '-buildvcs=false' },
  });
  if (result.status !== 0) {
    throw new EmbeddedDbError(`building the embedded database failed (go build exit ${result.status}); see the output above`);
  }
  renameSync(partial, binary); // atomic: a concurrent build of the same sources just replaces it
  log(`built the embedded database in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

export interface EmbeddedDb {
  /** mongodb://127.0.0.1:PORT/ */
  uri: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the embedded database on a free 127.0.0.1 port with its files in dataDir. */
export async function startEmbeddedDb(dataDir: string, options: { port?: number; log?: (line: string) => void } = {}): Promise<EmbeddedDb> {
  const binary = ensureEmbeddedBinary(options.log);
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(binary, ['-listen', `127.0.0.1:${options.port ?? 0}`, '-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
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

  return {
    uri: `mongodb://${address}/`,
    process: child,
    stop: () =>
      new Promise<void>((done) => {
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
