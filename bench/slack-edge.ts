// The Slack edge: a whole taser in HTTP mode (real HTTP server, real Bolt HTTPReceiver, built-in plugins, the
// Slack Web API fake), driven with requests signed exactly as Slack signs them. Measured from the client:
// - ack latency of 200 slash commands (`/taser help`) sent at once: p50/p99 (target p99 < 100 ms), on 200 warm
//   keep-alive connections (the target figure: a load balancer in front of taser terminates Slack's TLS and
//   keeps pooled connections to it) and each on a new connection (taser accepting them itself);
// - interactions (a card's "details" button, `alerts:details`) offered at a fixed rate for a few seconds:
//   the rate actually acknowledged and the ack p99 (target >= 1,000/s sustained).
// The ack is all that is timed: handlers run after it (the edge acks commands and clicks before Bolt runs;
// src/app/slack-edge.ts), and the bench then waits until every request was claimed in the interaction ledger,
// so `handledSeconds` and the CPU figure cover the handlers too. taser runs in a child process, the load in
// another and the Slack fake that receives the handlers' response_url replies in a third (as Slack is another
// machine), so neither the client's CPU nor the fake's runs on taser's event loop. The database is MONGODB_URI
// when set, else the embedded FerretDB.
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { BUILTIN_PLUGINS_DIR } from '../src/app/paths.js';
import { startTaser, type Taser } from '../src/app/runtime.js';
import { CORE_COLLECTIONS } from '../src/store/collections.js';
import { blockActionsBody, signSlackRequest, slackCommandBody, type SlackBody } from '../test/support/slack-requests.js';
import { burst, rawRequest, RawConnection } from './raw-http.js';
import { startRemoteSlackFake } from './slack-fake-process.js';
import { benchDatabase, isMain, percentile, round, runChild, benchConfig, BENCH_TOKEN, BENCH_SIGNING_SECRET } from './support.js';

export interface SlackEdgeOptions {
  /** Slash commands sent at once. */
  concurrentCommands: number;
  /** Interactions offered per second, and for how long. */
  interactionRate: number;
  interactionSeconds: number;
}

export interface SlackEdgeBench extends SlackEdgeOptions {
  commandP50Ms: number;
  commandP99Ms: number;
  commandFailures: number;
  /** The same burst, each command on a new connection (taser accepts them itself: no load balancer in front). */
  commandColdP50Ms: number;
  commandColdP99Ms: number;
  commandColdFailures: number;
  interactionsSent: number;
  interactionsPerSec: number;
  interactionP50Ms: number;
  interactionP99Ms: number;
  interactionFailures: number;
  /** CPU time of the taser process per request, handlers included: a figure the machine's load does not inflate. */
  cpuUsPerRequest: number;
  /** auth.test calls the Slack fake saw after start-up (Bolt's per-request check; target 0). */
  authTestCalls: number;
  /** From the first interaction sent until every command and interaction had been claimed in the interaction ledger (the handlers ran behind the acks). */
  handledSeconds: number;
  /** Requests claimed in the ledger when the wait ended (all of them unless the wait hit its limit). */
  handled: number;
  /** taser's event-loop delay while the load ran (p99 and max, ms): what an ack waited for the loop, from inside the server. */
  serverLoopDelayP99Ms: number;
  serverLoopDelayMaxMs: number;
}

export const SLACK_EDGE_SIZES: SlackEdgeOptions = { concurrentCommands: 200, interactionRate: 1_000, interactionSeconds: 5 };

export function benchSlackEdge(options: Partial<SlackEdgeOptions> = {}): Promise<SlackEdgeBench> {
  return runChild<SlackEdgeBench>('./slack-edge.ts', [JSON.stringify({ ...SLACK_EDGE_SIZES, ...options })]);
}

const TOKEN = BENCH_TOKEN;
/** How long the handlers may take, after the load, to have run every request. */
const HANDLED_LIMIT_MS = 120_000;
const SECRET = BENCH_SIGNING_SECRET;

type Signed = { raw: string; headers: Record<string, string> };

/** Signed as Slack signs it, ahead of the clock (a signature holds for 5 minutes), so the client's CPU at send time is small. */
function signed(body: SlackBody): Signed {
  return { raw: body.raw, headers: { 'content-type': body.contentType, 'content-length': String(Buffer.byteLength(body.raw)), ...signSlackRequest(SECRET, body.raw) } };
}

/** One signed POST; resolves with its latency (ms) and status, -1 on a socket error. */
function post(url: URL, body: Signed, agent: Agent): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const { headers } = body;
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
    });
    req.on('error', () => resolve({ ms: performance.now() - started, status: -1 }));
    req.end(body.raw);
  });
}

async function measure(o: SlackEdgeOptions): Promise<SlackEdgeBench> {
  const database = await benchDatabase('bench');
  const slack = await startRemoteSlackFake({ token: TOKEN });
  const config = benchConfig({ databaseUri: database.uri, slackApiUrl: slack.apiUrl, file: {}, env: {} });
  let taser: Taser | undefined;
  try {
    taser = await startTaser({ config, mode: 'http', logger: pino({ level: 'error' }), pluginDirs: [BUILTIN_PLUGINS_DIR] });
    await slack.reset();
    const cpuBefore = process.cpuUsage();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const load = await runChild<LoadResult>('./slack-edge.ts', ['load', JSON.stringify({ ...o, url: `${taser.url}/slack/events`, responseBase: slack.responseUrl('') })]);
    loop.disable();
    // The handlers run behind the acks: wait until each request was claimed in the interaction ledger (the
    // first thing every command and click handler does), so the CPU below is all of their work and the
    // database is not dropped under them.
    const requests = 20 + 3 * o.concurrentCommands + load.interactionsSent;
    const acked = requests - load.untimedFailures - load.commandFailures - load.commandColdFailures - load.interactionFailures;
    const ledger = taser.database.db.collection(CORE_COLLECTIONS.slackInteractions);
    const deadline = Date.now() + HANDLED_LIMIT_MS;
    let handled = 0;
    while ((handled = await ledger.countDocuments({})) < acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const handledSeconds = round((Date.now() - load.interactionsStartedAt) / 1000, 1);
    await new Promise((r) => setTimeout(r, 500)); // the last handlers' replies
    const cpu = process.cpuUsage(cpuBefore);
    // Load-independent: what taser spent per request, handlers included.
    const { interactionsStartedAt: _, untimedFailures: __, ...figures } = load;
    return { ...o, ...figures, cpuUsPerRequest: Math.round((cpu.user + cpu.system) / requests), authTestCalls: await slack.callCount('auth.test'), handledSeconds, handled,
      serverLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1), serverLoopDelayMaxMs: round(loop.max / 1e6, 1) };
  } finally {
    await taser?.database.db.dropDatabase().catch(() => {});
    await taser?.stop();
    await slack.stop();
    await database.stop();
  }
}

type LoadResult = Omit<SlackEdgeBench, keyof SlackEdgeOptions | 'authTestCalls' | 'cpuUsPerRequest' | 'handledSeconds' | 'handled' | 'serverLoopDelayP99Ms' | 'serverLoopDelayMaxMs'> & {
  /** Date.now() when the first interaction was sent. */
  interactionsStartedAt: number;
  /** Failures of the burst that opened the warm connections (not timed). */
  untimedFailures: number;
};

/** The load generator, in a process of its own. */
async function load(o: SlackEdgeOptions & { url: string; responseBase: string }): Promise<LoadResult> {
  const url = new URL(o.url);
  let n = 0;
  const responseUrl = () => `${o.responseBase}${++n}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  try {
    // Warm the route, Bolt's listeners and the agent's sockets.
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(url, signed(slackCommandBody({ command: '/taser', text: 'help', responseUrl: responseUrl(), triggerId: `warm-${i}` })), agent)));
    await new Promise((r) => setTimeout(r, 1000));

    // 1. Bursts of slash commands at once, written as pre-rendered bytes on plain sockets (bench/raw-http.ts):
    // on warm keep-alive connections (what taser sees behind the TLS-terminating load balancer that holds
    // pooled connections to its replicas: the target figure), then each on a new connection.
    const commandBurst = (tag: string) =>
      Array.from({ length: o.concurrentCommands }, (_, i) => {
        const body = signed(slackCommandBody({ command: '/taser', text: 'help', userId: `U${String(i).padStart(8, '0')}`, responseUrl: responseUrl(), triggerId: `${tag}-${i}` }));
        return rawRequest(url, body.headers, body.raw);
      });
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const connections = await Promise.all(Array.from({ length: o.concurrentCommands }, () => RawConnection.ready(url)));
    const opened = await burst(url, commandBurst('open'), connections); // each connection served once, as a pooled one has been
    await pause(3000); // the handlers' replies finish before the timed burst
    const warm = await burst(url, commandBurst('warm'), connections);
    for (const c of connections) c.close();
    await pause(2000);
    const cold = await burst(url, commandBurst('cold'));
    await pause(2000); // let the handlers' replies finish before the next part
    const ok = (results: { ms: number; status: number }[]) => results.filter((r) => r.status === 200).map((r) => r.ms);
    const [commandOk, coldOk] = [ok(warm), ok(cold)];

    // 2. Interactions at a fixed offered rate, in ticks of 10 ms; bodies made before the clock starts.
    const total = o.interactionRate * o.interactionSeconds;
    const bodies = Array.from({ length: total }, (_, i) =>
      signed(blockActionsBody({
        actionId: 'alerts:details',
        value: JSON.stringify({ a: i.toString(16).padStart(24, '0') }),
        userId: `U${String(i % 500).padStart(8, '0')}`,
        messageTs: `1700000000.${String(i).padStart(6, '0')}`,
        responseUrl: responseUrl(),
      })),
    );
    const results: Promise<{ ms: number; status: number }>[] = [];
    const perTick = o.interactionRate / 100;
    const interactionsStartedAt = Date.now();
    const started = performance.now();
    for (let tick = 0; results.length < total; tick++) {
      const due = Math.min(total, Math.round((tick + 1) * perTick));
      while (results.length < due) results.push(post(url, bodies[results.length]!, agent));
      const wait = started + (tick + 1) * 10 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const interactions = await Promise.all(results);
    const seconds = (performance.now() - started) / 1000;
    const interactionOk = interactions.filter((r) => r.status === 200).map((r) => r.ms);
    return {
      interactionsStartedAt,
      untimedFailures: opened.filter((r) => r.status !== 200).length,
      commandP50Ms: round(percentile(commandOk, 50), 1),
      commandP99Ms: round(percentile(commandOk, 99), 1),
      commandFailures: warm.length - commandOk.length,
      commandColdP50Ms: round(percentile(coldOk, 50), 1),
      commandColdP99Ms: round(percentile(coldOk, 99), 1),
      commandColdFailures: cold.length - coldOk.length,
      interactionsSent: interactions.length,
      interactionsPerSec: Math.round(interactionOk.length / seconds),
      interactionP50Ms: round(percentile(interactionOk, 50), 1),
      interactionP99Ms: round(percentile(interactionOk, 99), 1),
      interactionFailures: interactions.length - interactionOk.length,
    };
  } finally {
    agent.destroy();
  }
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === 'load') console.log(JSON.stringify(await load(JSON.parse(process.argv[3]!) as Parameters<typeof load>[0])));
  else console.log(JSON.stringify(await measure({ ...SLACK_EDGE_SIZES, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<SlackEdgeOptions>) })));
  process.exit(0);
}
