// The Web API methods the Slack fake implements, with Slack's success shapes and error codes
// (shared/contracts/EXTERNAL_APIS.md 2.6). Each returns the body without `ok`, or `{ error }`.
import type { SlackFake } from './slack-fake.js';
import { oidcMethods } from './slack-fake-oidc.js';

type Args = Record<string, unknown>;
type Result = Record<string, unknown> | { error: string };
type Method = (fake: SlackFake, args: Args) => Result;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const MESSAGE_BLOCKS = 50;
const VIEW_BLOCKS = 100;

function validBlocks(blocks: unknown, max: number): boolean {
  return Array.isArray(blocks) && blocks.length <= max && blocks.every((b) => typeof b === 'object' && b !== null && typeof (b as { type?: unknown }).type === 'string');
}

function userObject(fake: SlackFake, id: string) {
  const u = fake.users.get(id)!;
  return {
    id: u.id,
    team_id: fake.teamId,
    name: u.name,
    deleted: u.deleted ?? false,
    real_name: u.real_name ?? u.name,
    tz: u.tz ?? 'Europe/Amsterdam',
    is_bot: u.is_bot ?? false,
    profile: { email: u.email, display_name: u.name, real_name: u.real_name ?? u.name, ...(u.profile ?? {}) },
  };
}

/** Resolves a channel argument: a channel id, or a user id for a DM (opened on the fly). */
function resolveChannel(fake: SlackFake, channel: string | undefined) {
  if (!channel) return { error: 'channel_not_found' as const };
  const known = fake.channels.get(channel);
  if (known) return { channel: known };
  if (/^[UW]/.test(channel) && fake.users.has(channel)) {
    const dmId = `D${channel.slice(1)}`;
    if (!fake.channels.has(dmId)) fake.addChannel({ id: dmId, name: dmId, members: [channel] });
    return { channel: fake.channels.get(dmId)! };
  }
  if (/^D/.test(channel)) {
    fake.addChannel({ id: channel, name: channel });
    return { channel: fake.channels.get(channel)! };
  }
  return { error: 'channel_not_found' as const };
}

function channelObject(fake: SlackFake, c: { id: string; name: string; is_private?: boolean; members: string[]; is_archived?: boolean }) {
  return {
    id: c.id,
    name: c.name,
    is_channel: !c.is_private,
    is_private: c.is_private ?? false,
    is_archived: c.is_archived ?? false,
    created: 1_700_000_000,
    creator: fake.botUserId,
    is_member: c.members.includes(fake.botUserId),
    num_members: c.members.length,
  };
}

function viewObject(fake: SlackFake, view: Record<string, unknown>, id: string) {
  return { id, team_id: fake.teamId, hash: `${Date.now()}.${id}`, private_metadata: '', callback_id: '', ...view };
}

export const methods: Record<string, Method> = {
  ...oidcMethods,
  'auth.test': (fake) => ({ url: 'https://taser-test.slack.com/', team: 'taser test', user: 'taser', team_id: fake.teamId, user_id: fake.botUserId, bot_id: fake.botId }),

  'chat.postMessage': (fake, args) => {
    const text = str(args.text);
    if (!text && args.blocks === undefined && args.attachments === undefined) return { error: 'no_text' };
    if (args.blocks !== undefined && !validBlocks(args.blocks, MESSAGE_BLOCKS)) return { error: 'invalid_blocks' };
    if (text && text.length > 40_000) return { error: 'msg_too_long' };
    const found = resolveChannel(fake, str(args.channel));
    if ('error' in found) return found;
    const { channel } = found;
    if (channel.is_archived) return { error: 'is_archived' };
    if (!channel.id.startsWith('D') && !channel.members.includes(fake.botUserId)) return { error: 'not_in_channel' };
    const ts = fake.nextTs();
    const message = { type: 'message', ts, text: text ?? '', bot_id: fake.botId, user: fake.botUserId, ...(args.blocks ? { blocks: args.blocks } : {}), ...(str(args.thread_ts) ? { thread_ts: str(args.thread_ts) } : {}) };
    channel.messages.push(message);
    return { channel: channel.id, ts, message };
  },

  'chat.update': (fake, args) => {
    const channel = fake.channels.get(str(args.channel) ?? '');
    if (!channel) return { error: 'channel_not_found' };
    if (args.blocks !== undefined && !validBlocks(args.blocks, MESSAGE_BLOCKS)) return { error: 'invalid_blocks' };
    const message = channel.messages.find((m) => m.ts === args.ts);
    if (!message) return { error: 'message_not_found' };
    if (message.bot_id !== fake.botId) return { error: 'cant_update_message' };
    if (args.text !== undefined) message.text = String(args.text);
    if (args.blocks !== undefined) message.blocks = args.blocks;
    return { channel: channel.id, ts: message.ts, text: message.text, message };
  },

  'chat.postEphemeral': (fake, args) => {
    const channel = fake.channels.get(str(args.channel) ?? '');
    if (!channel) return { error: 'channel_not_found' };
    const user = str(args.user);
    if (!user || !fake.users.has(user)) return { error: 'user_not_found' };
    if (!channel.members.includes(user)) return { error: 'user_not_in_channel' };
    if (!str(args.text) && args.blocks === undefined) return { error: 'no_text' };
    if (args.blocks !== undefined && !validBlocks(args.blocks, MESSAGE_BLOCKS)) return { error: 'invalid_blocks' };
    return { message_ts: fake.nextTs() };
  },

  'conversations.create': (fake, args) => {
    const name = typeof args.name === 'string' ? args.name : '';
    if (name === '') return { error: 'invalid_name_required' };
    if (name.length > 80) return { error: 'invalid_name_maxlength' };
    if (!/^[a-z0-9_-]+$/.test(name)) return { error: /^[-_]+$/.test(name) ? 'invalid_name_punctuation' : 'invalid_name_specials' };
    if ([...fake.channels.values()].some((c) => c.name === name)) return { error: 'name_taken' };
    const isPrivate = args.is_private === 'true' || args.is_private === true;
    const id = fake.nextId(isPrivate ? 'G' : 'C');
    fake.addChannel({ id, name, is_private: isPrivate });
    return { channel: channelObject(fake, fake.channels.get(id)!) };
  },

  'conversations.invite': (fake, args) => {
    const channel = fake.channels.get(str(args.channel) ?? '');
    if (!channel) return { error: 'channel_not_found' };
    if (!channel.members.includes(fake.botUserId)) return { error: 'not_in_channel' };
    const users = (str(args.users) ?? '').split(',').map((u) => u.trim()).filter(Boolean);
    if (!users.length) return { error: 'no_user' };
    for (const user of users) {
      if (user === fake.botUserId) return { error: 'cant_invite_self' };
      if (!fake.users.has(user)) return { error: 'user_not_found' };
      if (channel.members.includes(user)) return { error: 'already_in_channel' };
    }
    channel.members.push(...users);
    return { channel: channelObject(fake, channel) };
  },

  'conversations.join': (fake, args) => {
    const channel = fake.channels.get(str(args.channel) ?? '');
    if (!channel) return { error: 'channel_not_found' };
    if (channel.is_private) return { error: 'method_not_supported_for_channel_type' };
    if (!channel.members.includes(fake.botUserId)) channel.members.push(fake.botUserId);
    return { channel: channelObject(fake, channel) };
  },

  'conversations.info': (fake, args) => {
    const channel = fake.channels.get(str(args.channel) ?? '');
    if (!channel) return { error: 'channel_not_found' };
    return { channel: channelObject(fake, channel) };
  },

  'conversations.history': (fake, args) => {
    const channel = fake.channels.get(str(args.channel) ?? '');
    if (!channel) return { error: 'channel_not_found' };
    if (!channel.members.includes(fake.botUserId)) return { error: 'not_in_channel' };
    const oldest = Number(args.oldest ?? 0);
    const latest = args.latest !== undefined ? Number(args.latest) : Infinity;
    const limit = Math.min(Number(args.limit ?? 100) || 100, 999);
    const offset = Number(str(args.cursor)?.replace(/^off:/, '') ?? 0);
    const newestFirst = channel.messages.filter((m) => Number(m.ts) >= oldest && Number(m.ts) <= latest).reverse();
    const page = newestFirst.slice(offset, offset + limit);
    const more = offset + limit < newestFirst.length;
    return { messages: page, has_more: more, response_metadata: { next_cursor: more ? `off:${offset + limit}` : '' } };
  },

  'users.info': (fake, args) => {
    const id = str(args.user);
    if (!id || !fake.users.has(id)) return { error: 'user_not_found' };
    return { user: userObject(fake, id) };
  },

  'users.lookupByEmail': (fake, args) => {
    const email = str(args.email)?.toLowerCase();
    const user = [...fake.users.values()].find((u) => u.email?.toLowerCase() === email);
    if (!user) return { error: 'users_not_found' };
    return { user: userObject(fake, user.id) };
  },

  // The profile with custom fields (`fields: { Xf...: { value, alt } }`, seeded through FakeUser.profile.fields);
  // without `user`, the caller's own profile (the bot's, with a bot token).
  'users.profile.get': (fake, args) => {
    const id = str(args.user) ?? fake.botUserId;
    if (!fake.users.has(id)) return { error: 'user_not_found' };
    const { profile } = userObject(fake, id);
    return { profile: { title: '', ...profile, fields: (profile as { fields?: unknown }).fields ?? {} } };
  },

  'usergroups.users.list': (fake, args) => {
    const group = fake.usergroups.get(str(args.usergroup) ?? '');
    if (!group) return { error: 'no_such_subteam' };
    return { users: group.users };
  },

  'views.open': (fake, args) => {
    if (!str(args.trigger_id) && !str(args.interactivity_pointer)) return { error: 'invalid_trigger_id' };
    const view = args.view as Record<string, unknown> | undefined;
    if (!view || typeof view !== 'object') return { error: 'invalid_arguments' };
    if (!validBlocks(view.blocks, VIEW_BLOCKS)) return { error: 'invalid_blocks' };
    if (JSON.stringify(view).length > 250_000) return { error: 'view_too_large' };
    return { view: viewObject(fake, view, fake.nextId('V')) };
  },

  'views.update': (fake, args) => {
    const view = args.view as Record<string, unknown> | undefined;
    if (!str(args.view_id) && !str(args.external_id)) return { error: 'not_found' };
    if (!view || !validBlocks(view.blocks, VIEW_BLOCKS)) return { error: 'invalid_blocks' };
    return { view: viewObject(fake, view, str(args.view_id) ?? fake.nextId('V')) };
  },

  'views.publish': (fake, args) => {
    const view = args.view as Record<string, unknown> | undefined;
    if (!str(args.user_id) || !fake.users.has(str(args.user_id)!)) return { error: 'user_not_found' };
    if (!view || !validBlocks(view.blocks, VIEW_BLOCKS)) return { error: 'invalid_blocks' };
    return { view: viewObject(fake, view, fake.nextId('V')) };
  },
};
