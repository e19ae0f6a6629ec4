// Shared bench helpers: a deterministic signal generator (the same stream for the engine and the simulator),
// the bench's correlation rules, and running one bench part in a child process of its own so its peak RSS
// is its own, not the whole bench's.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileConfigSchema, type AppConfig } from '../src/app/config.js';
import type { RuleInput } from '../src/correlation/rule.js';
import { parseEventTime, type Severity, type Signal } from '../src/signals/signal.js';
import { artifactValuesOf, signalKey, type SignalStore, type StoredSignal } from '../src/signals/store.js';
import { encodeSignal } from '../src/signals/stored-form.js';
import { prng } from '../test/support/prng.js';
import { startEmbeddedDb } from '../src/store/embedded-db.js';


const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));

/** True when `moduleUrl` is the file node was started with (run as a bench child, not imported). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] === fileURLToPath(moduleUrl);
}

/**
 * Runs a bench file in its own node process; the child prints one JSON line last on stdout. `nodeArgs`
 * (e.g. --cpu-prof) go to node itself.
 */
export function runChild<T>(file: string, args: string[] = [], nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, RUN_TS, fileURLToPath(new URL(file, import.meta.url)), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`bench child ${file} exited with ${code}: ${last}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`bench child ${file} printed no JSON result: ${last}`));
      }
    });
  });
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); undefined where unreadable. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces, hence from the last ')'): utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, what /proc/<pid>/stat counts CPU time in (100 on every common kernel). */
const CLOCK_TICKS = 100;

// ---------------------------------------------------------------- generated signals and rules

export const SIGNAL_TYPES = [
  'duo_push_denied',
  'sso_login_new_location',
  'ids_alert',
  'edr_process_blocked',
  'dns_suspicious_domain',
  'mail_phish_reported',
  'vpn_impossible_travel',
  'okta_mfa_reset',
  'proxy_malware_download',
  'cloud_key_created',
] as const;
const SOURCES = ['duo', 'okta', 'suricata', 'carbonblack', 'proxy'] as const;
const SEVERITIES: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];


export interface GeneratorOptions {
  /** Distinct values of each grouping field (username, src_ip, hostname). */
  groupKeys: number;
  /** Event-time step between consecutive signals, in ms. */
  stepMs?: number;
  start?: number;
  seed?: number;
  source?: string;
}

/**
 * Signals in event-time order, made one at a time (nothing is held): each carries a username, a source IP
 * and a hostname drawn from `groupKeys` values each, so every rule's groups spread over that many keys.
 */
export function* generateSignals(count: number, options: GeneratorOptions): Generator<Signal> {
  const random = prng(options.seed ?? 42);
  const step = options.stepMs ?? 50;
  const start = options.start ?? Date.UTC(2026, 0, 5, 8, 0, 0);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  for (let i = 0; i < count; i++) {
    const key = Math.floor(random() * options.groupKeys);
    yield {
      id: `s${i}`,
      source: options.source ?? pick(SOURCES),
      type: pick(SIGNAL_TYPES),
      occurredAt: new Date(start + i * step).toISOString(),
      severity: pick(SEVERITIES),
      artifacts: {
        username: `user${key}`,
        src_ip: `10.${(key >> 16) & 255}.${(key >> 8) & 255}.${key & 255}`,
        hostname: `host-${(key * 7919) % options.groupKeys}`,
      },
    };
  }
}

const WINDOWS = ['5m', '15m', '1h', '4h'];
const GROUP_FIELDS = ['username', 'src_ip', 'hostname'];

/** `count` rules of varied shapes: 1-3 parts, counts 1-3, ordered or not, severity/source/where filters. */
export function benchRules(count = 20): RuleInput[] {
  const rules: RuleInput[] = [];
  for (let i = 0; i < count; i++) {
    const t = (k: number) => SIGNAL_TYPES[(i + k) % SIGNAL_TYPES.length]!;
    const parts: NonNullable<RuleInput['parts']> = [{ match: { type: t(0) }, count: 2 + (i % 2) }];
    if (i % 3 !== 0) parts.push({ match: { type: t(3), ...(i % 4 === 1 ? { severity: ['high', 'critical'] as Severity[] } : {}) }, count: 1 });
    if (i % 5 === 2) parts.push({ match: { type: [t(5), t(6)], ...(i % 2 ? { source: ['okta', 'duo'] } : {}) }, count: 1 });
    rules.push({
      id: `bench-${i}`,
      severity: SEVERITIES[i % SEVERITIES.length],
      parts,
      window: WINDOWS[i % WINDOWS.length],
      groupBy: [GROUP_FIELDS[i % GROUP_FIELDS.length]!],
      ordered: i % 4 === 0,
      ...(i % 6 === 5 ? { maxDuration: '2h' } : {}),
    });
  }
  return rules;
}

/** A fresh database for one bench part: on MONGODB_URI when set, else on an embedded server of its own. */
export async function benchDatabase(prefix: string): Promise<{ uri: string; pid?: number; stop(): Promise<void> }> {
  const dataDir = process.env.MONGODB_URI ? undefined : mkdtempSync(join(tmpdir(), 'taser-bench-db-'));
  const embedded = dataDir ? await startEmbeddedDb(dataDir) : undefined;
  const uri = new URL(embedded?.uri ?? process.env.MONGODB_URI!);
  uri.pathname = `/${prefix}_${randomBytes(4).toString('hex')}`;
  return {
    uri: uri.toString(),
    // The embedded server's process, so a bench can read its CPU time (/proc/<pid>/stat); none on MONGODB_URI.
    pid: embedded?.process.pid,
    async stop() {
      await embedded?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const BENCH_TOKEN = 'xoxb-bench-token';
export const BENCH_SIGNING_SECRET = 'bench-signing-secret';

/** The app config every bench starts taser with: HTTP mode on a free 127.0.0.1 port, the Slack fake, quiet logs. */
export function benchConfig(o: { databaseUri: string; slackApiUrl: string; file?: unknown; env?: Record<string, string> }): AppConfig {
  return {
    slack: { botToken: BENCH_TOKEN, signingSecret: BENCH_SIGNING_SECRET, apiUrl: o.slackApiUrl },
    mongodbUri: o.databaseUri,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'warn',
    dataDir: '/nonexistent',
    configDir: process.cwd(),
    file: fileConfigSchema.parse(o.file ?? {}),
    env: o.env ?? {},
  };
}

// ---------------------------------------------------------------- seeding a large store

/** Documents per insertMany when seeding (FerretDB writes them 100 to an SQLite transaction whatever the batch). */
export const SEED_BATCH = 10_000;
const SEED_IN_FLIGHT = 2;

/** Runs `store` on each batch `make` gives (undefined: no more), SEED_IN_FLIGHT at a time. */
export async function inParallel<T>(make: () => T | undefined, store: (batch: T) => Promise<void>): Promise<void> {
  const worker = async () => {
    for (let batch = make(); batch !== undefined; batch = make()) await store(batch);
  };
  await Promise.all(Array.from({ length: SEED_IN_FLIGHT }, worker));
}

/**
 * Seeds generated signals in the stored form SignalStore.insert writes (without its duplicate bookkeeping: the
 * generator's keys are unique): unordered batches of SEED_BATCH, two in flight, the indexes built after the
 * load (the embedded FerretDB's process spends about 1.5x less CPU so than keeping them up to date per insert).
 */
export async function seedSignals(store: SignalStore, signals: Iterator<Signal>, receivedAt: Date, onBatch?: (loaded: number, perSec: number) => void): Promise<{ loadSeconds: number; indexSeconds: number }> {
  const t0 = performance.now();
  let loaded = 0;
  await inParallel(() => {
    const docs: StoredSignal[] = [];
    while (docs.length < SEED_BATCH) {
      const r = signals.next();
      if (r.done) break;
      const s = r.value;
      docs.push({ _id: signalKey(s), ...encodeSignal(s), occurredAt: new Date(parseEventTime(s.occurredAt)!), receivedAt, artifactValues: artifactValuesOf(s) });
    }
    return docs.length ? docs : undefined;
  }, async (docs) => {
    await store.collection.insertMany(docs, { ordered: false });
    loaded += docs.length;
    onBatch?.(loaded, Math.round(loaded / ((performance.now() - t0) / 1000)));
  });
  const t1 = performance.now();
  await store.ensureIndexes();
  return { loadSeconds: (t1 - t0) / 1000, indexSeconds: (performance.now() - t1) / 1000 };
}

/** Starts V8's sampling profiler (1 ms: finer sampling doubled taser's CPU); the returned call writes `file` (.cpuprofile). */
export async function startProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
