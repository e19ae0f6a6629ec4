// Creating a case from a big alert: 1,000 signals and 200 distinct artifacts. A whole taser (HTTP mode, the
// alerts, cases and thehive plugins) with the Slack fake and the TheHive 5 fake; the Create case button and the
// modal's submission go as signed requests through the real Bolt receiver. Measured from the submission:
// - firstReplyMs: until the reply naming the case reaches the card's thread (the case is usable);
// - syncedMs: until the case's backend sync is `synced` (TheHive has the case and all 200 observables).
// The alert document is stored directly (1,000 signal keys, 200 artifacts): ingesting its signals is the e2e
// bench's subject, not this one's. Runs in a child process; MONGODB_URI when set, else the embedded FerretDB.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { BUILTIN_PLUGINS_DIR } from '../src/app/paths.js';
import { startTaser, type Taser } from '../src/app/runtime.js';
import type { StoredAlert } from '../src/correlation/alert-store.js';
import { startSlackFake } from '../test/support/slack-fake.js';
import { blockActionsBody, sendSlackRequest, viewSubmissionBody } from '../test/support/slack-requests.js';
import { startTheHiveFake } from '../plugins/thehive/thehive-fake.js';
import { benchDatabase, isMain, runChild, benchConfig, BENCH_TOKEN, BENCH_SIGNING_SECRET } from './support.js';

export interface CasesBench {
  db: 'mongodb' | 'ferretdb-embedded';
  signals: number;
  artifacts: number;
  firstReplyMs: number;
  syncedMs: number;
  theHiveObservables: number;
}

export function benchCases(): Promise<CasesBench> {
  return runChild<CasesBench>('./cases.ts');
}

const TOKEN = BENCH_TOKEN;
const SECRET = BENCH_SIGNING_SECRET;
const CHANNEL = 'C0BENCH01';
const SIGNALS = 1_000;
const ARTIFACTS = 200;

async function until<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, limitMs = 5 * 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function measure(): Promise<CasesBench> {
  const database = await benchDatabase('benchcases');
  const slack = await startSlackFake({ token: TOKEN });
  slack.addChannel({ id: CHANNEL, name: 'bench-alerts' });
  slack.addUser({ id: 'U0BENCH01', name: 'analyst' });
  const thehive = await startTheHiveFake({ version: 5 });
  const config = benchConfig({ databaseUri: database.uri, slackApiUrl: slack.apiUrl, file: {
    plugins: { alerts: { defaultGroup: 'soc' }, thehive: { enabled: true, version: 5, url: thehive.url, organisation: 'SOC', apiKeyEnv: 'BENCH_THEHIVE_KEY' } },
    channels: { default: CHANNEL },
    groups: { soc: { users: ['U0BENCH01'] } },
    cases: { soc: ['soc'] },
  }, env: { BENCH_THEHIVE_KEY: thehive.apiKey } });
  let taser: Taser | undefined;
  try {
    taser = await startTaser({ config, mode: 'http', logger: pino({ level: 'warn' }), pluginDirs: [BUILTIN_PLUGINS_DIR], processEveryMs: 100 });
    const slackUrl = `${taser.url}/slack/events`;
    const now = new Date();
    const fields = ['src_ip', 'dst_ip', 'domain', 'url', 'sha256', 'username', 'hostname', 'email'];
    const artifacts = Array.from({ length: ARTIFACTS }, (_, i) => {
      const field = fields[i % fields.length]!;
      const value = field.endsWith('ip') ? `10.${i >> 8}.${i & 255}.${i % 7}` : field === 'sha256' ? i.toString(16).padStart(64, '0') : `${field}-${i}.example`;
      return [`${field}=${value}`, value];
    }).flat();
    const alert: StoredAlert = {
      _id: randomBytes(12).toString('hex'), ruleId: 'bench-big', ruleVersion: 1, ruleName: 'Big alert', group: { host: 'web01' }, episode: 1,
      signals: Array.from({ length: SIGNALS }, (_, i) => `bench/s${i}`), signalCount: SIGNALS, firstSeen: now, lastSeen: now, severity: 'high', severityRank: 3,
      status: 'open', active: true, artifacts, history: [], createdAt: now, updatedAt: now,
    };
    await taser.correlation.alerts.collection.insertOne(alert);
    taser.correlation.events.emit('created', alert);
    await until(() => slack.callsTo('chat.postMessage').find((c) => c.args.channel === CHANNEL && !c.args.thread_ts), 'the alert card');
    const ts = slack.messagesIn(CHANNEL)[0]!.ts;
    const send = (body: Parameters<typeof sendSlackRequest>[1]) => sendSlackRequest(slackUrl, body, { secret: SECRET });
    await send(blockActionsBody({ actionId: 'cases:create-from-alert', value: JSON.stringify({ a: alert._id }), userId: 'U0BENCH01', channelId: CHANNEL, messageTs: ts, responseUrl: slack.responseUrl('b'), triggerId: 'trig-bench' }));
    const view = (await until(() => slack.callsTo('views.open')[0], 'the modal')).args.view as { callback_id: string; private_metadata: string };

    const start = performance.now();
    await send(viewSubmissionBody({
      userId: 'U0BENCH01', callbackId: view.callback_id, privateMetadata: view.private_metadata,
      values: { title: { value: { type: 'plain_text_input', value: 'Big alert case' } }, severity: { value: { type: 'static_select', selected_option: { value: 'high' } } } },
    }));
    await until(() => slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === ts), 'the thread reply');
    const firstReplyMs = Math.round(performance.now() - start);
    const c = await until(async () => {
      const found = await taser!.cases.store.getByNumber(1);
      return found?.backend.sync === 'synced' ? found : null;
    }, 'the case synced');
    const syncedMs = Math.round(performance.now() - start);
    return {
      db: process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded',
      signals: SIGNALS,
      artifacts: ARTIFACTS,
      firstReplyMs,
      syncedMs,
      theHiveObservables: thehive.observables(c.backend.id!).length,
    };
  } finally {
    await taser?.database.db.dropDatabase().catch(() => {});
    await taser?.stop();
    await slack.stop();
    await thehive.stop();
    await database.stop();
  }
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measure()));
  process.exit(0);
}
