// Backfill: what a case channel said while taser was not listening (down, an event lost between the event
// dedupe and the log, a failed append) is read back from conversations.history and conversations.replies
// and logged; the ledger makes it idempotent, so reading a message twice logs it once.
// It starts at the channel's `backfilledTs` (everything before it was reconciled by a complete run) and pages
// with cursors; when Slack answers 429, the Web API client waits its Retry-After and tries again. Thread
// replies do not show in history: each thread root the channel has seen is read with conversations.replies.
// Deletions made while taser was down cannot be seen afterwards (Slack keeps no trace): those are not logged.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../app/logger.js';
import { entriesOfMessage, slackMessageSchema, type RawEntry, type SlackMessage } from './entry.js';
import type { ChannelLog } from './log.js';
import type { CaseChannelDoc, CaseChannelStore } from './store.js';

const PAGE = 200;
/** Bounds one channel's run (a run that stops early keeps its watermark and continues next time). */
const MAX_PAGES = 100;

export interface BackfillDeps {
  channels: CaseChannelStore;
  log: ChannelLog;
  slack: WebClient;
  logger: Logger;
}

export interface BackfillResult {
  channels: number;
  read: number;
  logged: number;
  failed: string[];
}

/** Every case channel, one after the other (Slack's rate limits are per method and workspace). */
export async function backfillAll(deps: BackfillDeps, touch: () => Promise<void> = async () => {}): Promise<BackfillResult> {
  const result: BackfillResult = { channels: 0, read: 0, logged: 0, failed: [] };
  await deps.log.repair();
  for (const doc of await deps.channels.all()) {
    try {
      const one = await backfillChannel(deps, doc);
      result.channels++;
      result.read += one.read;
      result.logged += one.logged;
    } catch (err) {
      result.failed.push(doc._id);
      deps.logger.warn({ err, channel: doc._id, case: doc.caseId }, 'case channel backfill failed; the next run tries again');
    }
    await touch();
  }
  if (result.logged) deps.logger.info(result, 'case channels backfilled');
  return result;
}

export async function backfillChannel(deps: BackfillDeps, doc: CaseChannelDoc): Promise<{ read: number; logged: number }> {
  const since = doc.backfilledTs;
  const messages: SlackMessage[] = [];
  let complete = await page(deps, messages, (cursor) => deps.slack.conversations.history({ channel: doc._id, limit: PAGE, ...(since ? { oldest: since } : {}), ...(cursor ? { cursor } : {}) }));
  const roots = new Set(doc.threads);
  for (const m of messages) if (m.thread_ts === m.ts && m.ts) roots.add(m.ts);
  for (const root of roots) {
    const before = messages.length;
    complete = (await page(deps, messages, (cursor) => deps.slack.conversations.replies({ channel: doc._id, ts: root, limit: PAGE, ...(since ? { oldest: since } : {}), ...(cursor ? { cursor } : {}) }))) && complete;
    if (messages.length > before) await deps.channels.noteThread(doc._id, root);
  }
  // Oldest first, each once (history and replies both return a thread's root).
  const byTs = new Map<string, SlackMessage>();
  for (const m of messages) byTs.set(m.ts, m);
  const ordered = [...byTs.values()].sort((a, b) => compareTs(a.ts, b.ts));
  const entries: RawEntry[] = ordered.flatMap((m) => entriesOfMessage(doc._id, m, 'backfill'));
  let logged = 0;
  for (const entry of entries) if (await deps.log.log(doc, entry)) logged++;
  const newest = ordered.at(-1)?.ts;
  if (complete && newest) await deps.channels.backfilled(doc._id, newest);
  return { read: ordered.length, logged };
}

type Page = { messages?: unknown[]; has_more?: boolean; response_metadata?: { next_cursor?: string } };

/** Reads every page into `into`; false when it stopped at MAX_PAGES. Messages Slack sends malformed are skipped. */
async function page(deps: BackfillDeps, into: SlackMessage[], call: (cursor?: string) => Promise<Page>): Promise<boolean> {
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const res = await call(cursor);
    for (const raw of res.messages ?? []) {
      const parsed = slackMessageSchema.safeParse(raw);
      if (parsed.success) into.push(parsed.data);
      else deps.logger.warn({ problem: parsed.error.issues[0]?.message }, 'a message from Slack history has an unexpected shape; skipped');
    }
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return true;
  }
  return false;
}

export function compareTs(a: string, b: string): number {
  const [as, af = ''] = a.split('.');
  const [bs, bf = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}
