// The Slack fake's case-channel methods (conversations.setTopic / setPurpose, pins.add, conversations.replies
// with cursors; conversations.create / invite / history are in slack-fake-methods.ts), and people talking in a
// channel: a message, a thread reply, an edit, a deletion, a file share, a join. Each is stored in the fake, so
// history and replies show it as Slack would, and returns the Events API event Slack would send, which
// `deliverEvent` posts to the app signed, as Slack does (optionally as a retry).
import type { SlackFake } from './slack-fake.js';
import { eventBody, sendSlackRequest, type SlackHttpResponse } from './slack-requests.js';

type Args = Record<string, unknown>;
type Result = Record<string, unknown> | { error: string };
type Method = (fake: SlackFake, args: Args) => Result;
type Stored = ReturnType<SlackFake['messagesIn']>[number];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const MAX_TOPIC = 250;

function memberChannel(fake: SlackFake, args: Args) {
  const channel = fake.channels.get(str(args.channel) ?? '');
  if (!channel) return { error: 'channel_not_found' as const };
  if (!channel.members.includes(fake.botUserId)) return { error: 'not_in_channel' as const };
  return { channel };
}

export const channelMethods: Record<string, Method> = {
  'conversations.setTopic': (fake, args) => {
    const found = memberChannel(fake, args);
    if ('error' in found) return found;
    const topic = String(args.topic ?? '');
    if (topic.length > MAX_TOPIC) return { error: 'too_long' };
    Object.assign(found.channel, { topic });
    return { channel: { id: found.channel.id, name: found.channel.name, topic: { value: topic } } };
  },

  'conversations.setPurpose': (fake, args) => {
    const found = memberChannel(fake, args);
    if ('error' in found) return found;
    const purpose = String(args.purpose ?? '');
    if (purpose.length > MAX_TOPIC) return { error: 'too_long' };
    Object.assign(found.channel, { purpose });
    return { channel: { id: found.channel.id, name: found.channel.name, purpose: { value: purpose } } };
  },

  'pins.add': (fake, args) => {
    const found = memberChannel(fake, args);
    if ('error' in found) return found;
    const message = found.channel.messages.find((m) => m.ts === args.timestamp);
    if (!message) return { error: 'message_not_found' };
    if (message.pinned) return { error: 'already_pinned' };
    message.pinned = true;
    return {};
  },

  // The root, then its replies, oldest first; `oldest` keeps the root (as Slack does), cursors are offsets.
  'conversations.replies': (fake, args) => {
    const found = memberChannel(fake, args);
    if ('error' in found) return found;
    const root = found.channel.messages.find((m) => m.ts === args.ts);
    if (!root) return { error: 'thread_not_found' };
    const oldest = Number(args.oldest ?? 0);
    const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
    const offset = Number(str(args.cursor)?.replace(/^off:/, '') ?? 0);
    const thread = [root, ...found.channel.messages.filter((m) => m.thread_ts === root.ts && m.ts !== root.ts && Number(m.ts) >= oldest)];
    const page = thread.slice(offset, offset + limit);
    const more = offset + limit < thread.length;
    return { messages: page, has_more: more, response_metadata: { next_cursor: more ? `off:${offset + limit}` : '' } };
  },
};

/** An Events API message event for a stored message, as Slack sends it. */
function messageEvent(channel: string, m: Stored): Record<string, unknown> {
  return { type: 'message', channel, channel_type: channel.startsWith('G') ? 'group' : 'channel', event_ts: m.ts, ...m };
}

function channelOf(fake: SlackFake, id: string) {
  const channel = fake.channels.get(id);
  if (!channel) throw new Error(`Slack fake: no channel ${id}`);
  return channel;
}

/** People acting in the fake's channels; each method returns the event Slack would deliver for it. */
export const talk = {
  message(fake: SlackFake, channel: string, user: string, text: string, options: { threadTs?: string } = {}) {
    const c = channelOf(fake, channel);
    const m: Stored = { type: 'message', ts: fake.nextTs(), user, text, ...(options.threadTs ? { thread_ts: options.threadTs } : {}) };
    c.messages.push(m);
    if (options.threadTs) {
      const root = c.messages.find((r) => r.ts === options.threadTs);
      if (root) Object.assign(root, { thread_ts: root.ts, reply_count: Number(root.reply_count ?? 0) + 1, latest_reply: m.ts });
    }
    return messageEvent(channel, m);
  },

  file(fake: SlackFake, channel: string, user: string, name: string, text = '') {
    const c = channelOf(fake, channel);
    const id = fake.nextId('F');
    const m: Stored = { type: 'message', subtype: 'file_share', ts: fake.nextTs(), user, text, files: [{ id, name, title: name, permalink: `https://taser-test.slack.com/files/${user}/${id}/${name}` }] };
    c.messages.push(m);
    return messageEvent(channel, m);
  },

  join(fake: SlackFake, channel: string, user: string) {
    const c = channelOf(fake, channel);
    if (!c.members.includes(user)) c.members.push(user);
    const m: Stored = { type: 'message', subtype: c.is_private ? 'group_join' : 'channel_join', ts: fake.nextTs(), user, text: `<@${user}> has joined the channel` };
    c.messages.push(m);
    return messageEvent(channel, m);
  },

  /** message_changed: the stored message gets the new text and an `edited` mark (history shows it so). */
  edit(fake: SlackFake, channel: string, ts: string, text: string) {
    const c = channelOf(fake, channel);
    const m = c.messages.find((x) => x.ts === ts);
    if (!m) throw new Error(`Slack fake: no message ${ts} in ${channel}`);
    const previous = { ...m };
    const editTs = fake.nextTs();
    Object.assign(m, { text, edited: { user: m.user, ts: editTs } });
    return { type: 'message', subtype: 'message_changed', channel, hidden: true, ts: fake.nextTs(), event_ts: editTs, message: { ...m }, previous_message: previous };
  },

  /** message_deleted: the message is gone from history and replies. */
  delete(fake: SlackFake, channel: string, ts: string) {
    const c = channelOf(fake, channel);
    const i = c.messages.findIndex((x) => x.ts === ts);
    if (i < 0) throw new Error(`Slack fake: no message ${ts} in ${channel}`);
    const [previous] = c.messages.splice(i, 1);
    const at = fake.nextTs();
    return { type: 'message', subtype: 'message_deleted', channel, hidden: true, ts: at, event_ts: at, deleted_ts: ts, previous_message: previous };
  },
};

/** Delivers an event to the app's /slack/events, signed; `retryNum` makes it Slack's retry of `eventId`. */
export function deliverEvent(url: string, secret: string, event: Record<string, unknown>, options: { eventId?: string; retryNum?: number } = {}): Promise<SlackHttpResponse> {
  return sendSlackRequest(url, eventBody(event, options.eventId ? { eventId: options.eventId } : {}), { secret, ...(options.retryNum !== undefined ? { retryNum: options.retryNum } : {}) });
}
