// A real `taser start` process delivering alert cards to the Slack fake, stopped with SIGTERM and killed with
// SIGKILL mid-delivery, then started again on the same database: every alert ends with exactly one card that
// counts all its signals (none doubled, none stuck), and SIGTERM exits promptly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startTaserProcess, type TaserProcess } from '../support/cli.js';
import { startSlackFake, type SlackFake } from '../support/slack-fake.js';
import { freshDbUri } from '../support/db.js';
import { connectDatabase, type Database } from '../../src/store/mongo.js';

const SECRET = 'stop-and-kill-secret-0123456789';
const CHANNEL = 'C0CARDS01';
const sends = (slack: SlackFake) => slack.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update').length;

function signed(body: string) {
  const at = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', SECRET).update(`${at}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-taser-signature': `sha256=${sig}`, 'x-taser-timestamp': String(at) };
}

describe('cards across SIGTERM and SIGKILL of a real taser process', () => {
  let slack: SlackFake;
  let dir: string;
  let db: Database;
  let env: Record<string, string>;
  let proc: TaserProcess | undefined;
  let url = '';
  let sent = 0;
  const everyHost: string[] = [];

  async function start(): Promise<void> {
    proc = startTaserProcess(['start', '--http'], env);
    url = String((await proc.waitForLog((l) => l.msg === 'taser is running', 120_000)).url);
  }

  /** Posts `perHost` signals for each host, one request each, the hosts at once. */
  async function postSignals(hosts: string[], perHost: number): Promise<void> {
    for (const host of hosts) if (!everyHost.includes(host)) everyHost.push(host);
    for (let i = 0; i < perHost; i++) {
      await Promise.all(hosts.map(async (host) => {
        const body = JSON.stringify({ id: `s${++sent}`, type: 'finding', occurredAt: new Date().toISOString(), artifacts: { host } });
        const res = await fetch(`${url}/signals/test`, { method: 'POST', headers: signed(body), body });
        expect(res.status).toBe(202);
      }));
    }
  }

  /** Every alert has one card in the channel that shows its signal count, and its delivery is settled. */
  async function expectOneCardEach(timeoutMs = 150_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problems: string[] = [];
    for (;;) {
      problems = [];
      const alerts = await db.db.collection<{ _id: string; group: { host: string }; signalCount: number }>('alerts').find({}).toArray();
      const deliveries = await db.db.collection<{ _id: string; status: string; dirty: boolean }>('plugin_alerts_deliveries').find({}).toArray();
      const messages = slack.messagesIn(CHANNEL);
      if (alerts.length !== everyHost.length) problems.push(`${alerts.length} alerts for ${everyHost.length} hosts`);
      for (const alert of alerts) {
        const cards = messages.filter((m) => JSON.stringify(m.blocks ?? []).includes(alert._id));
        const delivery = deliveries.find((d) => d._id === alert._id);
        if (cards.length !== 1) problems.push(`${alert.group.host}: ${cards.length} cards`);
        else if (!String(cards[0]!.text).includes(`: ${alert.signalCount} signal`)) problems.push(`${alert.group.host}: the card says "${String(cards[0]!.text)}" but the alert has ${alert.signalCount} signals`);
        if (delivery?.status !== 'posted' || delivery.dirty) problems.push(`${alert.group.host}: delivery ${JSON.stringify(delivery)}`);
      }
      // A card is never deleted: two cards now are two for good, so doubles fail at once.
      if (!problems.length || problems.some((p) => /: [2-9]\d* cards/.test(p)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(problems).toEqual([]);
  }

  beforeAll(async () => {
    slack = await startSlackFake({ token: 'xoxb-kill' });
    slack.addChannel({ id: CHANNEL, name: 'cards' });
    dir = mkdtempSync(join(tmpdir(), 'taser-kill-'));
    const uri = freshDbUri('kill');
    writeFileSync(join(dir, 'taser.yaml'), stringify({
      pluginPaths: [fileURLToPath(new URL('../fixtures/plugins/sources', import.meta.url))],
      plugins: { passthrough: { enabled: true }, alerts: { updateIntervalSeconds: 1 } },
      sources: { test: { auth: { type: 'hmac', secretEnv: 'TEST_SOURCE_SECRET' } } },
      rules: [{ id: 'finding', severity: 'high', parts: [{ match: { type: 'finding' }, count: 1 }], window: '1h', groupBy: ['host'] }],
      channels: { default: CHANNEL },
    }));
    env = {
      SLACK_BOT_TOKEN: 'xoxb-kill', SLACK_SIGNING_SECRET: 'kill-signing-secret', SLACK_API_URL: slack.apiUrl, MONGODB_URI: uri,
      TASER_CONFIG: join(dir, 'taser.yaml'), TEST_SOURCE_SECRET: SECRET, PORT: '0', LOG_LEVEL: 'info',
    };
    db = await connectDatabase(uri);
  }, 60_000);

  afterAll(async () => {
    await proc?.stop('SIGKILL');
    await db?.db.dropDatabase().catch(() => {});
    await db?.close();
    await slack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM with nothing in flight exits within seconds', async () => {
    await start();
    await postSignals(['idle-1', 'idle-2'], 2);
    await expectOneCardEach();
    // A keep-alive connection a client left open must not hold the shutdown either.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const began = Date.now();
    expect(await proc!.stop('SIGTERM')).toBe(0);
    expect(Date.now() - began).toBeLessThan(5_000);
    // Nothing waited on the jobs' drain time: no job was still running.
    expect(proc!.output()).not.toContain('jobs still running at shutdown');
    expect(Number((await proc!.waitForLog((l) => l.msg === 'shut down')).ms)).toBeLessThan(5_000);
  }, 180_000);

  it('SIGTERM mid-delivery exits promptly; what was in flight is finished or left for the next run', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `term-${i}`);
    await start();
    const before = sends(slack);
    // Requests after the stop are refused (a sender would retry them). The rejection is handled at once: it comes
    // while the stop is awaited, and a rejection with no handler yet is an unhandled error that fails the run.
    const posting = postSignals(hosts, 3).catch(() => undefined);
    await slack.waitForCall('chat.postMessage', () => sends(slack) >= before + 4, 60_000);
    const began = Date.now();
    expect(await proc!.stop('SIGTERM')).toBe(0);
    expect(Date.now() - began).toBeLessThan(5_000);
    await posting;
    await start();
    await postSignals(hosts, 1); // every host gets one more signal, whatever was refused
    await expectOneCardEach();
  }, 300_000);

  it('SIGKILL mid-delivery, then a restart: one card per alert with all its signals, none doubled or stuck', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `kill-${i}`);
    const before = sends(slack);
    const posting = postSignals(hosts, 3).catch(() => undefined); // handled at once, as above
    // Killed right after Slack received some of the posts and updates, before taser could record them all.
    await slack.waitForCall('chat.postMessage', () => sends(slack) >= before + 6, 60_000);
    await proc!.stop('SIGKILL');
    await posting;
    await start();
    await postSignals(hosts, 1);
    // A send cut by the kill holds its claim for the outbox's claim time (60 s) before the card is taken up again.
    await expectOneCardEach();
  }, 330_000);
});
