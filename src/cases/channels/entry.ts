// What one Slack message event (or one message of conversations.history / replies) becomes in a case's log.
// Edits and deletions are new entries, never rewrites of the first one. Each entry has a key, unique on
// (channel, ts, kind), that the ledger (store.ts) claims so nothing is logged twice, whether it came live
// or from a backfill: the ts in the key is the message's own ts, an edit's `edited.ts`, a deletion's event ts.
import { z } from 'zod';

export const ENTRY_KINDS = ['message', 'edit', 'delete', 'join', 'leave'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** Longer texts are cut (Slack's own message limit is 40,000). */
const MAX_TEXT = 40_000;

export interface LoggedFile {
  name: string;
  permalink?: string;
}

export interface ChannelLogEntry {
  /** `<channel>:<ts>:<kind>`: the ledger's _id. */
  key: string;
  channel: string;
  /** The channel's name when logged (without #). */
  channelName: string;
  kind: EntryKind;
  /** When it happened in Slack: the message's ts, the edit's ts, the deletion's ts. */
  ts: string;
  /** For an edit or a deletion: the message it changes. */
  messageTs?: string;
  threadTs?: string;
  subtype?: string;
  /** Slack user id of the author (bots have one too when Slack gives it). */
  user?: string;
  /** Display name (users.info), else the bot's name, else the id. */
  userName?: string;
  botId?: string;
  text: string;
  files?: LoggedFile[];
  /** How taser learnt of it: the Events API, or a backfill from conversations.history / replies. */
  source: 'event' | 'backfill';
}

/** An entry before the channel's name and the author's display name are known. */
export type RawEntry = Omit<ChannelLogEntry, 'channelName' | 'userName'> & { botName?: string };

const ts = z.string().regex(/^\d{1,12}\.\d{1,9}$/, 'a Slack ts');
const file = z.looseObject({ name: z.string().optional(), title: z.string().optional(), permalink: z.string().optional() });
export const slackMessageSchema = z.looseObject({
  type: z.literal('message').optional(),
  ts,
  text: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  username: z.string().optional(),
  bot_profile: z.looseObject({ name: z.string().optional() }).optional(),
  subtype: z.string().optional(),
  thread_ts: ts.optional(),
  edited: z.looseObject({ user: z.string().optional(), ts }).optional(),
  files: z.array(file).optional(),
});
export type SlackMessage = z.infer<typeof slackMessageSchema>;

const messageEventSchema = slackMessageSchema.extend({
  channel: z.string().regex(/^[CGD][A-Z0-9]+$/, 'a Slack channel id'),
  event_ts: z.string().optional(),
  message: slackMessageSchema.optional(),
  previous_message: slackMessageSchema.optional(),
  deleted_ts: ts.optional(),
});

/** Subtypes that announce no message of their own (a thread's parent being updated). */
const NOT_LOGGED = new Set(['message_replied', 'ekm_access_denied']);

export const entryKey = (channel: string, at: string, kind: EntryKind) => `${channel}:${at}:${kind}`;

function kindOf(subtype: string | undefined): EntryKind {
  if (subtype === 'channel_join' || subtype === 'group_join') return 'join';
  if (subtype === 'channel_leave' || subtype === 'group_leave') return 'leave';
  return 'message';
}

function filesOf(m: SlackMessage): LoggedFile[] | undefined {
  if (!m.files?.length) return undefined;
  return m.files.map((f) => ({ name: f.name ?? f.title ?? 'file', ...(f.permalink ? { permalink: f.permalink } : {}) }));
}

function author(m: SlackMessage): Pick<RawEntry, 'user' | 'botId' | 'botName'> {
  return {
    ...(m.user ? { user: m.user } : {}),
    ...(m.bot_id ? { botId: m.bot_id } : {}),
    ...(m.username || m.bot_profile?.name ? { botName: (m.username ?? m.bot_profile?.name)! } : {}),
  };
}

const cut = (text: string | undefined) => (text ?? '').slice(0, MAX_TEXT);

/** A message as history, replies or a plain message event show it; an edited one also yields its edit. */
export function entriesOfMessage(channel: string, m: SlackMessage, source: RawEntry['source']): RawEntry[] {
  if (m.subtype && NOT_LOGGED.has(m.subtype)) return [];
  const kind = kindOf(m.subtype);
  const files = filesOf(m);
  const base = {
    channel,
    ...(m.thread_ts && m.thread_ts !== m.ts ? { threadTs: m.thread_ts } : {}),
    ...(m.subtype ? { subtype: m.subtype } : {}),
    ...author(m),
    text: cut(m.text),
    ...(files ? { files } : {}),
    source,
  };
  const entries: RawEntry[] = [{ key: entryKey(channel, m.ts, kind), kind, ts: m.ts, ...base }];
  // Seen in history with `edited`: the edit may have been missed while taser was down.
  if (source === 'backfill' && m.edited) entries.push({ key: entryKey(channel, m.edited.ts, 'edit'), kind: 'edit', ts: m.edited.ts, messageTs: m.ts, ...base, ...(m.edited.user ? { user: m.edited.user } : {}) });
  return entries;
}

/**
 * The entries of one Events API message event: a message, an edit (message_changed with a changed text or an
 * `edited` mark; a thread's reply count changing is not an edit), or a deletion. Invalid events: a reason.
 */
export function entriesOfEvent(event: unknown): { entries: RawEntry[] } | { invalid: string } {
  const parsed = messageEventSchema.safeParse(event);
  if (!parsed.success) return { invalid: parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ') };
  const e = parsed.data;
  if (e.subtype === 'message_changed') {
    const now = e.message;
    if (!now) return { invalid: 'message_changed without message' };
    const before = e.previous_message;
    if (!now.edited && before && before.text === now.text) return { entries: [] };
    const at = now.edited?.ts ?? e.ts;
    const files = filesOf(now);
    return {
      entries: [{
        key: entryKey(e.channel, at, 'edit'), channel: e.channel, kind: 'edit', ts: at, messageTs: now.ts,
        ...(now.thread_ts && now.thread_ts !== now.ts ? { threadTs: now.thread_ts } : {}), subtype: 'message_changed',
        ...author(now), ...(now.edited?.user ? { user: now.edited.user } : {}), text: cut(now.text), ...(files ? { files } : {}), source: 'event',
      }],
    };
  }
  if (e.subtype === 'message_deleted') {
    const gone = e.previous_message;
    const messageTs = e.deleted_ts ?? gone?.ts;
    return {
      entries: [{
        key: entryKey(e.channel, e.ts, 'delete'), channel: e.channel, kind: 'delete', ts: e.ts, ...(messageTs ? { messageTs } : {}),
        ...(gone?.thread_ts && gone.thread_ts !== gone.ts ? { threadTs: gone.thread_ts } : {}), subtype: 'message_deleted',
        ...(gone ? author(gone) : {}), text: cut(gone?.text), source: 'event',
      }],
    };
  }
  return { entries: entriesOfMessage(e.channel, e, 'event') };
}

/** One line for a task log or a listing: who, when, what (mrkdwn-free, as TheHive shows markdown). */
export function entryLine(e: ChannelLogEntry): string {
  const who = e.userName ? `${e.userName}${e.user ? ` (${e.user})` : ''}` : (e.user ?? e.botId ?? 'someone');
  const when = new Date(Number(e.ts) * 1000).toISOString();
  const where = e.threadTs ? ` in thread ${e.threadTs}` : '';
  const files = (e.files ?? []).map((f) => `\n📎 ${f.name}${f.permalink ? `: ${f.permalink}` : ''}`).join('');
  switch (e.kind) {
    case 'edit':
      return `**${who}** edited message ${e.messageTs ?? '?'}${where} at ${when}:\n${e.text}${files}`;
    case 'delete':
      return `**${who}** deleted message ${e.messageTs ?? '?'}${where} at ${when}${e.text ? ` (it said: ${e.text})` : ''}`;
    case 'join':
      return `**${who}** joined #${e.channelName} at ${when}`;
    case 'leave':
      return `**${who}** left #${e.channelName} at ${when}`;
    default:
      return `**${who}**${where} at ${when}:\n${e.text}${files}`;
  }
}
