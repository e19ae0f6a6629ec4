// Case channel messages logged per second: a whole taser in HTTP mode (real HTTP server, real Bolt
// HTTPReceiver, the built-in cases plugin, the Slack Web API fake), one case with one channel opened through
// the real service, and message events signed exactly as Slack signs them, offered at a fixed rate. Timed from
// the first POST until every message is a case event (`case_events`, kind channel_message): each one claimed in
// the ledger, appended with the case's next sequence number, the channel's marks moved. No backend: this is
// the log itself, not the TheHive mirror (which the outbox delivers behind it).
// Target: >= 50 messages/s per channel on the embedded FerretDB (a busy incident channel sees a few a second).
import { pino } from 'pino';
import { BUILTIN_PLUGINS_DIR } from '../src/app/paths.js';
import { startTaser, type Taser } from '../src/app/runtime.js';
import { SYSTEM } from '../src/cases/service.js';
import { startSlackFake } from '../test/support/slack-fake.js';
import { talk } from '../test/support/slack-fake-channels.js';
import { eventBody, sendSlackRequest } from '../test/support/slack-requests.js';
import { benchDatabase, isMain, percentile, round, runChild, benchConfig, BENCH_TOKEN, BENCH_SIGNING_SECRET } from './support.js';

export interface CaseChannelsOptions {
  messages: number;
  /** Offered per second. */
  rate: number;
}

export interface CaseChannelsBench extends CaseChannelsOptions {
  loggedPerSec: number;
  /** From a message's POST to its case event, p50 / p99 (ms). */
  p50Ms: number;
  p99Ms: number;
  failedPosts: number;
  complete: boolean;
}

export const CASE_CHANNEL_SIZES: CaseChannelsOptions = { messages: 500, rate: 100 };
const TOKEN = BENCH_TOKEN;
const SECRET = BENCH_SIGNING_SECRET;
const LIMIT_MS = 120_000;

export function benchCaseChannels(options: Partial<CaseChannelsOptions> = {}): Promise<CaseChannelsBench> {
  return runChild<CaseChannelsBench>('./case-channels.ts', [JSON.stringify({ ...CASE_CHANNEL_SIZES, ...options })]);
}

async function measure(o: CaseChannelsOptions): Promise<CaseChannelsBench> {
  const database = await benchDatabase('bench_channels');
  const slack = await startSlackFake({ token: TOKEN });
  for (let i = 0; i < 20; i++) slack.addUser({ id: `U0BENCH${String(i).padStart(2, '0')}`, name: `analyst${i}` });
    // The groups are only there so the case ACL has one: taser itself (SYSTEM) opens the case and its channel.
const config = benchConfig({ databaseUri: database.uri, slackApiUrl: slack.apiUrl, file: { groups: { soc: { users: ['U0BENCH00'] } }, cases: { soc: ['soc'] } }, env: {} });
  let taser: Taser | undefined;
  try {
    taser = await startTaser({ config, mode: 'http', logger: pino({ level: 'error' }), pluginDirs: [BUILTIN_PLUGINS_DIR] });
    const c = await taser.cases.service.create(SYSTEM, { title: 'Bench: a busy incident channel', severity: 'high' });
    const { channel } = await taser.cases.channels!.open(SYSTEM, c.number);
    const events = taser.cases.store.events;
    const live = { caseId: c._id, kind: 'channel_message' as const, 'data.source': 'event' };
    const url = `${taser.url}/slack/events`;

    const sentAt = new Map<string, number>();
    const posts: Promise<{ status: number }>[] = [];
    const started = performance.now();
    for (let i = 0; i < o.messages; i++) {
      const wait = started + (i * 1000) / o.rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const event = talk.message(slack, channel.id, `U0BENCH${String(i % 20).padStart(2, '0')}`, `message ${i}: what we saw on host-${i % 37}`);
      sentAt.set(String(event.ts), Date.now());
      posts.push(sendSlackRequest(url, eventBody(event), { secret: SECRET }));
    }
    const failedPosts = (await Promise.all(posts)).filter((r) => r.status !== 200).length;
    let logged = 0;
    while (performance.now() - started < LIMIT_MS && (logged = await events.countDocuments(live)) < o.messages) await new Promise((r) => setTimeout(r, 250));
    const seconds = (performance.now() - started) / 1000;
    // Each case event's `at` is when it was appended: the latency of each message, read once at the end.
    const latencies = (await events.find(live, { projection: { 'data.ts': 1, at: 1 } }).toArray()).map((e) => e.at.getTime() - (sentAt.get((e.data as { ts: string }).ts) ?? e.at.getTime()));
    return { ...o, loggedPerSec: round(logged / seconds, 1), p50Ms: round(percentile(latencies, 50), 0), p99Ms: round(percentile(latencies, 99), 0), failedPosts, complete: logged >= o.messages };
  } finally {
    await taser?.database.db.dropDatabase().catch(() => {});
    await taser?.stop();
    await slack.stop();
    await database.stop();
  }
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measure({ ...CASE_CHANNEL_SIZES, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<CaseChannelsOptions>) })));
  process.exit(0);
}
