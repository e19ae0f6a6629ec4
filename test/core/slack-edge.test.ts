// The Slack edge under attack and fault (issue 10.5, 9.3): signed requests through the real HTTP server and
// Bolt receiver, the Slack fake, the real database. Replays within the signature window run once; timestamps
// too far on either side of our clock are refused; Bolt never calls auth.test per request, so a rate-limited
// auth.test does not stop slash commands; unsigned bodies are refused from their headers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { blockActionsBody, sendSlackRequest, signSlackRequest, slackCommandBody, type SlackBody } from '../support/slack-requests.js';

const plugins = fileURLToPath(new URL('../fixtures/plugins/ok', import.meta.url));

/** POSTs a body signed for a given timestamp (seconds), the same way a replay resends captured headers. */
async function postSignedAt(url: string, body: SlackBody, timestampSec: number): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': body.contentType, ...signSlackRequest(TEST_SIGNING_SECRET, body.raw, timestampSec) }, body: body.raw });
  await res.text();
  return res.status;
}

describe('Slack edge: replays, clocks and auth.test', () => {
  let t: TestApp;
  const seen = () => t.taser.database.db.collection('plugin_alpha_seen').find({}, { projection: { _id: 0 } }).toArray();
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await startTestApp({ pluginDirs: [plugins], file: { groups: { admins: { users: ['U0ADMIN1'] } } } });
  });
  afterAll(async () => t?.stop());
  beforeEach(async () => {
    t.slack.reset();
    await t.taser.database.db.collection('plugin_alpha_seen').deleteMany({});
  });

  it('calls auth.test once at start, never per request, so a rate-limited auth.test does not stop commands', async () => {
    t.slack.failNext('auth.test', { kind: 'ratelimited', retryAfter: 30 }, 100);
    for (let i = 0; i < 3; i++) {
      const res = await sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/taser', text: `alpha n${i}`, responseUrl: t.slack.responseUrl(`c${i}`), triggerId: `trig-auth-${i}` }), { secret: TEST_SIGNING_SECRET });
      expect(res.status).toBe(200);
      expect((await t.slack.waitForResponse((r) => r.id === `c${i}`, 3000)).body.text).toBe(`alpha got n${i}`);
    }
    expect(t.slack.callsTo('auth.test')).toEqual([]);
  });

  it.each([
    ['one year in the future', 365 * 24 * 3600],
    ['six minutes in the future', 6 * 60],
    ['six minutes in the past', -6 * 60],
  ])('refuses a correctly signed request stamped %s and runs nothing', async (_label, offset) => {
    const body = slackCommandBody({ command: '/taser', text: 'alpha future', responseUrl: t.slack.responseUrl('future'), triggerId: `trig-future-${offset}` });
    expect(await postSignedAt(t.slackUrl, body, now() + offset)).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(await seen()).toEqual([]);
    expect(t.slack.responses).toEqual([]);
  });

  it('accepts a request stamped four minutes ahead (clock skew within the window)', async () => {
    const body = slackCommandBody({ command: '/taser', text: 'alpha skew', responseUrl: t.slack.responseUrl('skew'), triggerId: 'trig-skew' });
    expect(await postSignedAt(t.slackUrl, body, now() + 4 * 60)).toBe(200);
    expect((await t.slack.waitForResponse((r) => r.id === 'skew')).body.text).toBe('alpha got skew');
  });

  it('runs a block action replayed within the window once', async () => {
    const body = blockActionsBody({ actionId: 'alpha:ping', value: '{"n":1}', responseUrl: t.slack.responseUrl('replayed') });
    const stamped = now();
    expect(await postSignedAt(t.slackUrl, body, stamped)).toBe(200);
    expect(await postSignedAt(t.slackUrl, body, stamped)).toBe(200);
    await expect.poll(seen, { timeout: 3000 }).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await seen()).toEqual([{ kind: 'action', value: { n: 1 }, user: 'U0ALICE1' }]);
    // The handler answers nothing; the repeat is told, once, when the first click ran (Slack date token).
    const told = await t.slack.waitForResponse((r) => r.id === 'replayed', 3000);
    expect(told.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^This was already done at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>; nothing changed\.$/) });
    expect(t.slack.responses.filter((r) => r.id === 'replayed')).toHaveLength(1);
  });

  it('runs one click of a button per user, value and message within the window, but a different value or user again', async () => {
    const click = (userId: string, value: string) =>
      sendSlackRequest(t.slackUrl, blockActionsBody({ actionId: 'alpha:ping', value, userId, messageTs: '1700000001.000100', responseUrl: t.slack.responseUrl() }), { secret: TEST_SIGNING_SECRET });
    await click('U0ALICE1', '{"n":2}');
    await click('U0ALICE1', '{"n":2}');
    await click('U0BOB001', '{"n":2}');
    await click('U0ALICE1', '{"n":3}');
    await expect.poll(async () => (await seen()).length, { timeout: 3000 }).toBe(3);
    await new Promise((r) => setTimeout(r, 300));
    expect((await seen()).map((s) => [s.user, (s.value as { n: number }).n]).sort()).toEqual([['U0ALICE1', 2], ['U0ALICE1', 3], ['U0BOB001', 2]]);
  });

  it('runs a slash command replayed within the window once', async () => {
    const body = slackCommandBody({ command: '/taser', text: 'alpha once', responseUrl: t.slack.responseUrl('once'), triggerId: 'trig-replayed' });
    const stamped = now();
    expect(await postSignedAt(t.slackUrl, body, stamped)).toBe(200);
    expect(await postSignedAt(t.slackUrl, body, stamped)).toBe(200);
    await expect.poll(seen, { timeout: 3000 }).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await seen()).toHaveLength(1);
  });

  it('refuses an unsigned large body from its headers alone', async () => {
    const res = await fetch(t.slackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(100_000) }) });
    expect(res.status).toBe(401);
    expect(t.logs.some((l) => l.msg === 'Slack request refused before reading its body' && l.reason === 'unsigned request')).toBe(true);
  });
});
