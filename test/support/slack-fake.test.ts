// The Slack fake answers the real @slack/web-api client the way Slack does, including its failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { startSlackFake, type SlackFake } from './slack-fake.js';
import { signSlackRequest } from './slack-requests.js';
import { talk } from './slack-fake-channels.js';

describe('Slack Web API fake', () => {
  let fake: SlackFake;
  let client: WebClient;
  beforeAll(async () => {
    fake = await startSlackFake({ token: 'xoxb-fake' });
    client = new WebClient('xoxb-fake', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    fake.addChannel({ id: 'C0ALERTS1', name: 'alerts' });
    fake.addChannel({ id: 'C0NOTIN01', name: 'elsewhere' }, { botIsMember: false });
    fake.addUser({ id: 'U0ALICE1', name: 'alice', email: 'alice@example.com' });
  });
  afterAll(async () => fake.stop());

  it('posts and updates a message, receiving blocks as parsed JSON', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hi "there"\n' } }];
    const posted = await client.chat.postMessage({ channel: 'C0ALERTS1', text: 'hi', blocks });
    expect(fake.callsTo('chat.postMessage').at(-1)!.args.blocks).toEqual(blocks);
    await client.chat.update({ channel: 'C0ALERTS1', ts: posted.ts!, text: 'updated' });
    expect(fake.messagesIn('C0ALERTS1').find((m) => m.ts === posted.ts)!.text).toBe('updated');
    await expect(client.chat.update({ channel: 'C0ALERTS1', ts: '1.2', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('answers with Slack errors', async () => {
    await expect(client.chat.postMessage({ channel: 'C0NOTIN01', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { error: 'not_in_channel' } });
    await expect(client.chat.postMessage({ channel: 'C0NOPE001', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.users.lookupByEmail({ email: 'nobody@example.com' })).rejects.toMatchObject({ data: { error: 'users_not_found' } });
    await expect(client.conversations.create({ name: 'Bad Name' })).rejects.toMatchObject({ data: { error: 'invalid_name_specials' } });
    await expect(client.conversations.create({ name: 'x'.repeat(81) })).rejects.toMatchObject({ data: { error: 'invalid_name_maxlength' } });
    const bad = new WebClient('xoxb-other', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    await expect(bad.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('fails on demand: ok:false, 429 with Retry-After, and 5xx', async () => {
    fake.failNext('chat.postMessage', { kind: 'error', error: 'invalid_blocks' });
    await expect(client.chat.postMessage({ channel: 'C0ALERTS1', text: 'x' })).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    fake.failNext('chat.postMessage', { kind: 'ratelimited', retryAfter: 7 });
    await expect(client.chat.postMessage({ channel: 'C0ALERTS1', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
    fake.failNext('chat.update', { kind: 'http', status: 500 }, 2);
    await expect(client.chat.update({ channel: 'C0ALERTS1', ts: '1', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error' });
    await expect(client.chat.update({ channel: 'C0ALERTS1', ts: '1', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error' });
    await expect(client.chat.postMessage({ channel: 'C0ALERTS1', text: 'fine again' })).resolves.toMatchObject({ ok: true });
  });

  it('pages conversations.history newest first', async () => {
    const created = await client.conversations.create({ name: 'case-42' });
    const channel = created.channel!.id!;
    for (let i = 0; i < 5; i++) await client.chat.postMessage({ channel, text: `m${i}` });
    const first = await client.conversations.history({ channel, limit: 2 });
    expect(first.messages!.map((m) => m.text)).toEqual(['m4', 'm3']);
    const second = await client.conversations.history({ channel, limit: 2, cursor: first.response_metadata!.next_cursor });
    expect(second.messages!.map((m) => m.text)).toEqual(['m2', 'm1']);
    await expect(client.conversations.invite({ channel, users: 'U0ALICE1' })).resolves.toMatchObject({ ok: true });
    await expect(client.conversations.invite({ channel, users: 'U0ALICE1' })).rejects.toMatchObject({ data: { error: 'already_in_channel' } });
  });

  it('keeps thread replies out of history and pages them with conversations.replies; topic, purpose and pins', async () => {
    const channel = (await client.conversations.create({ name: 'case-43' })).channel!.id!;
    const root = talk.message(fake, channel, 'U0ALICE1', 'root');
    for (let i = 0; i < 3; i++) talk.message(fake, channel, 'U0ALICE1', `reply ${i}`, { threadTs: String(root.ts) });
    const history = await client.conversations.history({ channel });
    expect(history.messages!.map((m) => [m.text, m.reply_count])).toEqual([['root', 3]]);
    const first = await client.conversations.replies({ channel, ts: String(root.ts), limit: 2 });
    expect(first.messages!.map((m) => m.text)).toEqual(['root', 'reply 0']);
    const rest = await client.conversations.replies({ channel, ts: String(root.ts), limit: 2, cursor: first.response_metadata!.next_cursor });
    expect(rest.messages!.map((m) => m.text)).toEqual(['reply 1', 'reply 2']);
    await expect(client.conversations.replies({ channel, ts: '1.000001' })).rejects.toMatchObject({ data: { error: 'thread_not_found' } });

    await client.conversations.setTopic({ channel, topic: 'Case #43' });
    await client.conversations.setPurpose({ channel, purpose: 'Work on case #43' });
    expect(fake.channels.get(channel)).toMatchObject({ topic: 'Case #43', purpose: 'Work on case #43' });
    await expect(client.conversations.setTopic({ channel, topic: 'x'.repeat(251) })).rejects.toMatchObject({ data: { error: 'too_long' } });
    await client.pins.add({ channel, timestamp: String(root.ts) });
    await expect(client.pins.add({ channel, timestamp: String(root.ts) })).rejects.toMatchObject({ data: { error: 'already_pinned' } });
    await expect(client.pins.add({ channel: 'C0NOTIN01', timestamp: String(root.ts) })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
  });

  it('edits and deletions change what history shows, and return the events Slack sends', () => {
    const channel = 'C0ALERTS1';
    const m = talk.message(fake, channel, 'U0ALICE1', 'before');
    const edit = talk.edit(fake, channel, String(m.ts), 'after');
    expect(edit).toMatchObject({ subtype: 'message_changed', message: { ts: m.ts, text: 'after', edited: { user: 'U0ALICE1' } }, previous_message: { text: 'before' } });
    const gone = talk.delete(fake, channel, String(m.ts));
    expect(gone).toMatchObject({ subtype: 'message_deleted', deleted_ts: m.ts, previous_message: { text: 'after' } });
    expect(fake.messagesIn(channel).some((x) => x.ts === m.ts)).toBe(false);
    expect(talk.file(fake, channel, 'U0ALICE1', 'a.txt')).toMatchObject({ subtype: 'file_share', files: [{ name: 'a.txt', permalink: expect.stringContaining('a.txt') }] });
    expect(talk.join(fake, channel, 'U0ALICE1')).toMatchObject({ subtype: 'channel_join', user: 'U0ALICE1' });
  });

  it('signs requests the way Slack documents', () => {
    const expected = 'v0=' + createHmac('sha256', 'secret').update('v0:1531420618:token=x&text=y').digest('hex');
    expect(signSlackRequest('secret', 'token=x&text=y', 1531420618)).toEqual({ 'x-slack-signature': expected, 'x-slack-request-timestamp': '1531420618' });
  });
});
