// End to end: a whole taser (HTTP mode, Slack API fake, passthrough source "test" with HMAC auth, a few
// rules) receives batches through POST /signals/test, stores them and correlates them. Measured:
// - signalsPerSec: from the first POST until the live correlator has stepped every signal and written its alerts;
// - rawInsertPerSec: insertMany of the same documents (same batch size and concurrency) into a collection
//   with the signals collection's indexes, on the same server in the same run: the storage floor;
// - p50Ms/p99Ms: for one "trigger" signal per batch (a one-signal rule), from just before its POST to the
//   moment its alert document is stored (the alert store's `created` event fires right after insertOne).
// Runs in a child process; the database is MONGODB_URI when set, else the embedded FerretDB.
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { BUILTIN_PLUGINS_DIR } from '../src/app/paths.js';
import { startTaser, type Taser } from '../src/app/runtime.js';
import { parseEventTime, type Signal } from '../src/signals/signal.js';
import { artifactValuesOf, signalKey, type StoredSignal } from '../src/signals/store.js';
import { startSlackFake } from '../test/support/slack-fake.js';
import { benchDatabase, benchRules, generateSignals, isMain, percentile, processCpuMs, round, runChild, benchConfig, BENCH_TOKEN, startProfile } from './support.js';

export interface E2eOptions {
  batches: number;
  batchSize: number;
  /** POSTs (and raw insertMany calls) in flight at once. */
  concurrency: number;
  groupKeys: number;
  /**
   * Sustained mode: POSTs sent open-loop at this many signals per second (one batch every batchSize/rate s,
   * whatever is still in flight), instead of `concurrency` at a time. `batches` is then rate * seconds / batchSize.
   */
  rate?: number;
  seconds?: number;
}

export interface E2eBench extends E2eOptions {
  db: 'mongodb' | 'ferretdb-embedded';
  signals: number;
  rules: number;
  signalsPerSec: number;
  /** Until the last POST was answered (stored, not yet correlated). */
  acceptedPerSec: number;
  rawInsertPerSec: number;
  ratio: number;
  p50Ms: number;
  p99Ms: number;
  triggers: number;
  alerts: number;
  /** Signals correlated when the wait ended (stored minus the correlator's backlog). */
  correlated: number;
  /** Signals in the store at the end: all of them unless POSTs failed. */
  stored: number;
  /** False when the wait hit its limit before every signal was correlated (signalsPerSec then counts the correlated ones). */
  complete: boolean;
  /** POSTs answered 429 (back-pressure) and sent again after their Retry-After. */
  throttled: number;
  /** POSTs answered 503 (the store failed: nothing stored) and sent again after their Retry-After. */
  unavailable: number;
  /** POSTs not answered within POST_TIMEOUT_MS (or whose connection failed): their signals are not counted as sent. */
  failedPosts: number;
  /** Alert cards taser posted to the Slack fake. */
  cardsPosted: number;
  /** Warnings and errors taser logged during the run (e.g. correlation failures left to the sweeper). */
  warnings: number;
  /** taser's database commands per POST while the load ran and drained, by command and collection (the most frequent). */
  storeOpsPerPost: Record<string, number>;
  /**
   * Milliseconds those commands took per POST, by command and collection (the longest in total), as the driver
   * saw them: a command waiting for the database behind others counts its wait, so read it as a ranking.
   */
  storeMsPerPost: Record<string, number>;
  /**
   * Documents (inserts) and statements (updates, deletes) per POST, by command and collection (the most frequent):
   * what the server does row by row, where a command can carry one or a thousand.
   */
  storeDocsPerPost: Record<string, number>;
  /**
   * CPU per signal, ms, from the first POST until all was correlated: the database server's process (null on
   * MONGODB_URI) and taser's (this process: taser with its Slack fake; the sender is a process of its own), and
   * the server's and this process's (the driver's side: encoding, sending) for the raw insertMany of the same
   * signals. CPU time is not inflated by other load on the machine the way wall time is, so it is what each
   * change is judged by.
   */
  cpuMsPerSignal: { server: number | null; taser: number; rawInsertServer: number | null; rawInsertClient: number };
  /** The most frequent warnings: "message: error" with their counts. */
  topWarnings: string[];
}

/**
 * Sizes per server. The embedded FerretDB has one SQLite writer: one POST at a time. 20 POSTs of 500 (10,000
 * signals, about a second and a half): the 4 POSTs of before were over in a quarter second, much of it code not
 * yet compiled, and their ratio to the raw insert (itself timed once, over as little) ranged 0.44-0.64 in five
 * runs on an idle machine (2026-12-01 11:00).
 */
export const E2E_SIZES: Record<E2eBench['db'], E2eOptions> = {
  mongodb: { batches: 40, batchSize: 500, concurrency: 4, groupKeys: 1_000 },
  'ferretdb-embedded': { batches: 20, batchSize: 500, concurrency: 1, groupKeys: 1_000 },
};
/** `npm run bench -- --sustained`: 1,000 signals/s offered open-loop for 60 s, one trigger per 100-signal POST. */
export const E2E_SUSTAINED: Partial<E2eOptions> = { rate: 1_000, seconds: 60, batchSize: 100 };
/** A POST not answered in this time counts as failed. */
const POST_TIMEOUT_MS = 60_000;
/** How long to wait for every signal to be correlated. */
const WAIT_LIMIT_MS = 3 * 60_000;
const ALERT_CHANNEL = 'C0BENCH01';

export function benchE2e(options: Partial<E2eOptions> = {}): Promise<E2eBench> {
  const sizes = E2E_SIZES[process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded'];
  const o = { ...sizes, ...options };
  // Sustained mode: as many batches as the rate and duration take.
  if (o.rate && o.seconds) o.batches = Math.ceil((o.rate * o.seconds) / o.batchSize);
  return runChild<E2eBench>('./e2e.ts', [JSON.stringify(o)]);
}

const SOURCE = 'test';
const HMAC_SECRET = 'bench-hmac-secret-0123456789abcdef';
const TOKEN = BENCH_TOKEN;
const TRIGGER_TYPE = 'bench_trigger';
const SOURCES_DIR = fileURLToPath(new URL('../test/fixtures/plugins/sources', import.meta.url));

/** The batches: generated signals, plus one trigger signal in the middle of each batch. */
function makeBatches(o: E2eOptions, start: number): Signal[][] {
  const all = generateSignals(o.batches * o.batchSize, { groupKeys: o.groupKeys, start, source: SOURCE });
  const batches: Signal[][] = [];
  for (let b = 0; b < o.batches; b++) {
    const batch: Signal[] = [];
    for (let i = 0; i < o.batchSize - 1; i++) batch.push(all.next().value as Signal);
    const middle = batch[batch.length >> 1]!;
    batch.splice(batch.length >> 1, 0, { id: `trigger-${b}`, source: SOURCE, type: TRIGGER_TYPE, occurredAt: middle.occurredAt, artifacts: { trigger: `t${b}` } });
    batches.push(batch);
  }
  return batches;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

function signedHeaders(body: string): Record<string, string> {
  const at = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', HMAC_SECRET).update(`${at}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${signature}`, 'x-taser-timestamp': at };
}

function warningCollector() {
  const seen = { count: 0, kinds: new Map<string, number>() };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as { msg?: string; err?: { message?: string } };
      const kind = `${line.msg ?? '?'}${line.err?.message ? `: ${line.err.message.slice(-90)}` : ''}`;
      seen.count++;
      seen.kinds.set(kind, (seen.kinds.get(kind) ?? 0) + 1);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), seen };
}

async function measure(o: E2eOptions): Promise<E2eBench> {
  const database = await benchDatabase('bench');

  const slack = await startSlackFake({ token: TOKEN });
  slack.addChannel({ id: ALERT_CHANNEL, name: 'bench-alerts' }, { botIsMember: true });
  const { logger, seen } = warningCollector();
  const rules = [
    { id: 'bench-trigger', severity: 'high', parts: [{ match: { type: TRIGGER_TYPE }, count: 1 }], window: '1m', groupBy: ['trigger'] },
    ...benchRules(4),
  ];
  // Command monitoring on, to count taser's database commands per POST.
  const databaseUri = `${database.uri}${database.uri.includes('?') ? '&' : '?'}monitorCommands=true`;
  const config = benchConfig({ databaseUri, slackApiUrl: slack.apiUrl, file: {
    plugins: { passthrough: { enabled: true } },
    channels: { default: ALERT_CHANNEL },
    sources: { [SOURCE]: { auth: { type: 'hmac', secretEnv: 'BENCH_SOURCE_SECRET' } } },
    rules,
  }, env: { BENCH_SOURCE_SECRET: HMAC_SECRET } });
  let taser: Taser | undefined;
  try {
    taser = await startTaser({ config, mode: 'http', logger, pluginDirs: [BUILTIN_PLUGINS_DIR, SOURCES_DIR] });
    const { correlation } = taser;
    // A fresh process takes its partition leases a moment after start: measured from then on.
    const leaseDeadline = Date.now() + 60_000;
    while (correlation.live.ownedPartitions().length < correlation.live.options.partitions && Date.now() < leaseDeadline) await new Promise((r) => setTimeout(r, 50));
    const start = Date.now() - o.batches * o.batchSize * 50;
    const batches = makeBatches(o, start);
    const total = batches.reduce((n, b) => n + b.length, 0);

    // 1. The storage floor: the same documents, batch size and concurrency, with the same indexes.
    const raw = taser.database.db.collection<StoredSignal>('bench_raw_signals');
    const indexes = (await correlation.signals.collection.indexes()).filter((i) => i.name !== '_id_');
    await raw.createIndexes(indexes.map(({ key, name }) => ({ key, name })));
    const docs = batches.map((batch) =>
      batch.map((signal) => ({ _id: signalKey(signal), signal, occurredAt: new Date(parseEventTime(signal.occurredAt)!), receivedAt: new Date(), artifactValues: artifactValuesOf(signal) })),
    );
    const serverCpu = () => (database.pid ? processCpuMs(database.pid) : undefined);
    const rawCpu0 = serverCpu();
    const rawClient0 = process.cpuUsage();
    const rawStarted = performance.now();
    await inParallel(docs, o.concurrency, async (batch) => {
      await raw.insertMany(batch, { ordered: false });
    });
    const rawSeconds = (performance.now() - rawStarted) / 1000;
    const rawCpu1 = serverCpu();
    const rawClient = process.cpuUsage(rawClient0);
    await raw.drop();

    // 2. Through taser: POST, store, correlate; trigger alerts timed from their POST. The POSTs are sent from a
    // process of their own (as the sources are other machines), so the sender's CPU is not taser's.
    const createdAt = new Map<string, number>();
    correlation.events.on('created', (alert) => {
      const trigger = alert.group.trigger;
      if (trigger !== undefined && !createdAt.has(trigger)) createdAt.set(trigger, clock());
    });
    const ops = countCommands(taser.database.client);
    // TASER_E2E_CPU_PROF=<file>: a CPU profile of this process (taser) from the first POST until all is correlated.
    const profile = process.env.TASER_E2E_CPU_PROF ? await startProfile(process.env.TASER_E2E_CPU_PROF) : undefined;
    const cpu0 = { server: serverCpu(), taser: process.cpuUsage() };
    const sent = await runChild<LoadResult>('./e2e.ts', ['load', JSON.stringify({ o, start, url: `${taser.url}/signals/${SOURCE}` })]);
    const { throttled, unavailable, failedPosts, failedBatches } = sent;
    const acceptedSeconds = sent.acceptedSeconds;
    // Every signal correlated: the correlator's backlog is empty and its alert writes applied (in memory: no query).
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (!correlation.live.idle() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    // From the first POST (the sender's start-up, a second or two of loading its code, is not taser's time).
    const e2eSeconds = (clock() - sent.startedAt) / 1000;
    const cpu1 = { server: serverCpu(), taser: process.cpuUsage(cpu0.taser) };
    await profile?.();
    // Timed once every signal is correlated: the trigger alerts created while the backlog drained count too (taken
    // when the load ended, the slowest were left out).
    const latencies = Object.entries(sent.sentAt).flatMap(([trigger, at]) => (createdAt.has(trigger) ? [createdAt.get(trigger)! - at] : []));
    const storeOpsPerPost = ops.perPost(o.batches);
    const storeMsPerPost = ops.msPerPost(o.batches);
    const storeDocsPerPost = ops.docsPerPost(o.batches);
    // A POST that got no answer in time may or may not have been stored: then what was stored is counted, not
    // what was sent (its signals were otherwise counted as correlated).
    const backlog = correlation.live.backlog();
    let stored = total;
    // Its first signal stands for it, looked up by _id (a count scans the whole collection on the embedded
    // database: it timed out); a lookup that fails counts the POST as not stored.
    const isStored = (i: number) => correlation.signals.collection.findOne({ _id: signalKey(batches[i]![0]!) }, { projection: { _id: 1 } }).catch(() => null);
    for (const i of failedBatches) if (!(await isStored(i))) stored -= batches[i]!.length;
    const correlated = Math.max(0, Math.min(total, stored) - backlog);
    const alerts = await correlation.alerts.collection.countDocuments({});

    const signalsPerSec = correlated / e2eSeconds;
    const rawInsertPerSec = total / rawSeconds;
    return {
      ...o,
      db: process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded',
      signals: total,
      rules: rules.length,
      signalsPerSec: round(signalsPerSec, 1),
      acceptedPerSec: Math.round(total / acceptedSeconds),
      rawInsertPerSec: Math.round(rawInsertPerSec),
      ratio: round(signalsPerSec / rawInsertPerSec, 3),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      triggers: latencies.length,
      alerts,
      correlated,
      stored,
      complete: correlated === total,
      throttled,
      unavailable,
      failedPosts,
      cardsPosted: slack.callsTo('chat.postMessage').length,
      warnings: seen.count,
      storeOpsPerPost,
      storeMsPerPost,
      storeDocsPerPost,
      cpuMsPerSignal: {
        server: cpu0.server !== undefined && cpu1.server !== undefined ? round((cpu1.server - cpu0.server) / total, 3) : null,
        taser: round((cpu1.taser.user + cpu1.taser.system) / 1000 / total, 3),
        rawInsertServer: rawCpu0 !== undefined && rawCpu1 !== undefined ? round((rawCpu1 - rawCpu0) / total, 3) : null,
        rawInsertClient: round((rawClient.user + rawClient.system) / 1000 / total, 3),
      },
      topWarnings: [...seen.kinds].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([kind, n]) => `${n}x ${kind}`),
    };
  } finally {
    await taser?.database.db.dropDatabase().catch(() => {});
    await taser?.stop();
    await slack.stop();
    await database.stop();
  }
}

/**
 * Counts the client's commands by name and collection from now on, and the time they took; `perPost` gives the
 * most frequent per POST, `msPerPost` the longest in total.
 */
function countCommands(client: MongoClient) {
  const counts = new Map<string, number>();
  const docs = new Map<string, number>();
  const ms = new Map<string, number>();
  const started = new Map<number, string>();
  client.on('commandStarted', (e) => {
    const target = e.command[e.commandName] as unknown;
    const key = `${e.commandName}${typeof target === 'string' ? ` ${target}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    started.set(e.requestId, key);
    // The rows a command carries: an insert's documents, an update's or delete's statements.
    const rows = (e.command.documents ?? e.command.updates ?? e.command.deletes) as unknown[] | undefined;
    if (Array.isArray(rows)) docs.set(key, (docs.get(key) ?? 0) + rows.length);
  });
  const ended = (e: { requestId: number; duration: number }) => {
    const key = started.get(e.requestId);
    if (key === undefined) return;
    started.delete(e.requestId);
    ms.set(key, (ms.get(key) ?? 0) + e.duration);
  };
  client.on('commandSucceeded', ended);
  client.on('commandFailed', ended);
  const top = (m: Map<string, number>, posts: number, digits: number) =>
    Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => [k, round(n / posts, digits)]));
  return { perPost: (posts: number) => top(counts, posts, 2), msPerPost: (posts: number) => top(ms, posts, 1), docsPerPost: (posts: number) => top(docs, posts, 2) };
}

/** What the sender process reports. */
interface LoadResult {
  throttled: number;
  unavailable: number;
  failedPosts: number;
  failedBatches: number[];
  /** Per trigger value, when its POST was sent (clock()). */
  sentAt: Record<string, number>;
  /** Until the last POST was answered. */
  acceptedSeconds: number;
  /** When the first POST was sent (clock()): the e2e time starts there, not at the sender's process start. */
  startedAt: number;
}

/** A clock both processes share: ms since the epoch, with sub-millisecond steps. */
const clock = () => performance.timeOrigin + performance.now();

/** The sender, in its own process: the batches' POSTs, open-loop at the rate or `concurrency` at a time. */
async function load({ o, start, url }: { o: E2eOptions; start: number; url: string }): Promise<LoadResult> {
  const bodies = makeBatches(o, start).map((batch) => JSON.stringify(batch));
  const result: LoadResult = { throttled: 0, unavailable: 0, failedPosts: 0, failedBatches: [], sentAt: {}, acceptedSeconds: 0, startedAt: 0 };
  const send = async (body: string, i: number) => {
    result.sentAt[`t${i}`] = clock();
    for (;;) {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: signedHeaders(body), body, signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
      } catch {
        result.failedPosts++; // no answer in time (the server is overrun): counted, not retried
        result.failedBatches.push(i);
        return;
      }
      const answer = await res.text();
      if (res.status === 202) return;
      if (res.status === 503) result.unavailable++;
      else if (res.status === 429) result.throttled++;
      else throw new Error(`POST ${url} answered ${res.status}: ${answer}`);
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    }
  };
  const started = performance.now();
  result.startedAt = clock();
  if (o.rate) {
    const interval = (o.batchSize / o.rate) * 1000;
    await Promise.all(
      bodies.map(async (body, i) => {
        await new Promise((r) => setTimeout(r, Math.max(0, started + i * interval - performance.now())));
        await send(body, i);
      }),
    );
  } else {
    await inParallel(bodies, o.concurrency, send);
  }
  result.acceptedSeconds = (performance.now() - started) / 1000;
  return result;
}

if (isMain(import.meta.url) && process.argv[2] === 'load') {
  console.log(JSON.stringify(await load(JSON.parse(process.argv[3]!) as Parameters<typeof load>[0])));
  process.exit(0);
}

if (isMain(import.meta.url)) {
  const options = { ...E2E_SIZES[process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded'], ...(JSON.parse(process.argv[2] ?? '{}') as Partial<E2eOptions>) };
  // Sustained mode, e.g. '{"rate":1000,"seconds":60,"batchSize":100}': as many batches as that takes.
  if (options.rate && options.seconds) options.batches = Math.ceil((options.rate * options.seconds) / options.batchSize);
  console.log(JSON.stringify(await measure(options)));
  process.exit(0);
}
