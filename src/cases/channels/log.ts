// Logs the messages of case channels as case events (kind `channel_message`), each exactly once.
//
// Once, and nothing lost, across Slack retries, backfills, replicas and crashes:
// 1. claim: insert the ledger doc `<channel>:<ts>:<kind>` (unique _id) holding the whole entry, state `claimed`;
//    whoever loses the insert stops: the entry is logged, or being logged, by someone else.
// 2. append the case event through CaseStore.appendEvent (the one append point);
// 3. mark the ledger doc `logged` with the event's seq.
// If 2 fails with an error, the claim is released (deleted), so the next delivery or backfill logs it. If the
// process dies between 1 and 3, the claim stays `claimed`: the repair pass (at start and with every backfill run)
// takes claims older than REPAIR_AFTER_MS, looks for a case event carrying the key (a crash after 2: mark it
// logged) and otherwise appends it from the copy in the claim. An entry is thus never doubled (one claim, and
// the repair checks before it appends) and never lost (a claim either becomes an event or is released).
// Claims of many events run at once; only the appends wait their turn in the channel's queue (the log keeps
// the order events reached this process), and step 3 runs after the queue has moved on.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../app/logger.js';
import { SYSTEM_ACTOR } from '../model.js';
import type { CaseService } from '../service.js';
import type { CaseStore } from '../store.js';
import { entriesOfEvent, type ChannelLogEntry, type RawEntry } from './entry.js';
import type { CaseChannelDoc, CaseChannelStore } from './store.js';

const REPAIR_AFTER_MS = 2 * 60_000;
const NAME_CACHE_MS = 60 * 60_000;
/** A channel found not to be a case channel is asked again after this (a new channel's doc may be on its way). */
const NOT_CASE_MS = 5_000;
const MAX_CACHED = 10_000;

export interface ChannelLogDeps {
  channels: CaseChannelStore;
  store: CaseStore;
  service: CaseService;
  slack: WebClient;
  logger: Logger;
}

export class ChannelLog {
  private readonly known = new Map<string, { doc: CaseChannelDoc | null; until: number }>();
  private readonly names = new Map<string, { name: string; until: number }>();
  /** Per channel, the entries being logged by this process, one after the other (the log keeps Slack's order). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ChannelLogDeps) {}

  /** A Slack message event: logged when its channel is a case channel. Returns how many entries were new. */
  onEvent(event: unknown): Promise<number> {
    const channel = (event as { channel?: unknown } | null)?.channel;
    if (typeof channel !== 'string') return Promise.resolve(0);
    const claimed = this.channel(channel).then(async (doc) => {
      if (!doc) return { doc, entries: [] };
      const parsed = entriesOfEvent(event);
      if ('invalid' in parsed) {
        this.deps.logger.warn({ channel, problem: parsed.invalid }, 'a message event of a case channel is not one Slack sends; not logged (the backfill reads the channel again)');
        return { doc, entries: [] };
      }
      return { doc, entries: await this.claim(doc, parsed.entries) };
    });
    // Its place in the channel's queue is taken before the first await: appends keep the order events arrived in.
    return this.appendInOrder(channel, claimed);
  }

  /** The channel's case channel doc, cached (a channel never changes case). */
  async channel(id: string): Promise<CaseChannelDoc | null> {
    const hit = this.known.get(id);
    if (hit && (hit.doc || hit.until > Date.now())) return hit.doc;
    const doc = await this.deps.channels.get(id);
    if (this.known.size >= MAX_CACHED) this.known.clear();
    this.known.set(id, { doc, until: Date.now() + NOT_CASE_MS });
    return doc;
  }

  /** Tells the cache about a channel just made here. */
  remember(doc: CaseChannelDoc): void {
    this.known.set(doc._id, { doc, until: Infinity });
  }

  /** Logs one entry unless it is logged already; in order per channel within this process. */
  async log(doc: CaseChannelDoc, raw: RawEntry): Promise<boolean> {
    return (await this.appendInOrder(doc._id, this.claim(doc, [raw]).then((entries) => ({ doc, entries })))) > 0;
  }

  /**
   * Claims run at once for every event; only the appends wait for the channel's queue (that is what keeps the
   * order), and the bookkeeping after an append (ledger mark, channel marks) no longer holds the queue.
   */
  private async appendInOrder(channel: string, claimed: Promise<{ doc: CaseChannelDoc | null; entries: ChannelLogEntry[] }>): Promise<number> {
    claimed.catch(() => {}); // awaited in the queue below
    const after: Promise<unknown>[] = [];
    const n = await this.inOrder(channel, async () => {
      const { doc, entries } = await claimed;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        let seq: number;
        try {
          seq = (await this.deps.service.appendLog(doc!.caseId, entry.user ?? entry.botId ?? SYSTEM_ACTOR, 'channel_message', entry)).seq;
        } catch (err) {
          await this.release(entries.slice(i));
          throw err;
        }
        after.push(this.deps.channels.logged(entry.key, seq), this.deps.channels.noteLogged(doc!._id, entry.ts, entry.threadTs));
      }
      return entries.length;
    });
    await Promise.all(after);
    return n;
  }

  private inOrder<T>(channel: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(channel) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(work);
    this.queues.set(channel, run);
    void run.finally(() => {
      if (this.queues.get(channel) === run) this.queues.delete(channel);
    }).catch(() => {});
    return run;
  }

  /** The entries this caller now owns (the others were claimed before: logged, or being logged). */
  private async claim(doc: CaseChannelDoc, raws: RawEntry[]): Promise<ChannelLogEntry[]> {
    const owned: ChannelLogEntry[] = [];
    try {
      for (const raw of raws) {
        const entry = await this.complete(doc, raw);
        if (await this.deps.channels.claim(doc.caseId, entry)) owned.push(entry);
      }
    } catch (err) {
      await this.release(owned);
      throw err;
    }
    return owned;
  }

  /** Gives back claims whose case events were not written, so the next delivery or backfill logs them. */
  private async release(entries: ChannelLogEntry[]): Promise<void> {
    for (const entry of entries) {
      await this.deps.channels.release(entry.key).catch((err: unknown) =>
        this.deps.logger.error({ err, key: entry.key }, 'could not release a ledger claim; the repair pass will log the entry'));
    }
  }

  /** Claims a dead claimer left behind: mark them logged when their event exists, else append them now. */
  async repair(now = Date.now()): Promise<number> {
    let repaired = 0;
    for (const claim of await this.deps.channels.staleClaims(new Date(now - REPAIR_AFTER_MS))) {
      const existing = await this.deps.store.events.findOne({ caseId: claim.caseId, kind: 'channel_message', 'data.key': claim._id }, { projection: { seq: 1 } });
      const seq = existing?.seq ?? (await this.deps.service.appendLog(claim.caseId, claim.entry.user ?? claim.entry.botId ?? SYSTEM_ACTOR, 'channel_message', claim.entry)).seq;
      await this.deps.channels.logged(claim._id, seq);
      repaired++;
      this.deps.logger.warn({ key: claim._id, case: claim.caseId, seq, found: Boolean(existing) }, 'repaired a channel log entry whose claimer stopped before marking it');
    }
    return repaired;
  }

  private async complete(doc: CaseChannelDoc, raw: RawEntry): Promise<ChannelLogEntry> {
    const { botName, ...rest } = raw;
    const userName = raw.user ? await this.displayName(raw.user) : botName;
    return { ...rest, channelName: doc.name, ...(userName ? { userName } : {}) };
  }

  /** The author's display name (users.info, cached); the id when Slack cannot say. */
  private async displayName(user: string): Promise<string> {
    const hit = this.names.get(user);
    if (hit && hit.until > Date.now()) return hit.name;
    let name = user;
    try {
      const res = await this.deps.slack.users.info({ user });
      const u = res.user;
      name = u?.profile?.display_name || u?.real_name || u?.name || user;
    } catch (err) {
      this.deps.logger.warn({ err, user }, 'users.info failed; the log names the user by id');
    }
    if (this.names.size >= MAX_CACHED) this.names.clear();
    this.names.set(user, { name, until: Date.now() + NAME_CACHE_MS });
    return name;
  }
}
