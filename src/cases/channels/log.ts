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
import { SYSTEM_ACTOR, type CaseEvent } from '../model.js';
import type { CaseService } from '../service.js';
import { PartialAppendError, type CaseStore } from '../store.js';
import { entriesOfEvent, type ChannelLogEntry, type RawEntry } from './entry.js';
import type { CaseChannelDoc, CaseChannelStore } from './store.js';

const REPAIR_AFTER_MS = 2 * 60_000;
const NAME_CACHE_MS = 60 * 60_000;
/** A channel found not to be a case channel is asked again after this (a new channel's doc may be on its way). */
const NOT_CASE_MS = 5_000;
const MAX_CACHED = 10_000;

type Claimed = { doc: CaseChannelDoc | null; entries: ChannelLogEntry[] };
type Slot = { claimed: Promise<Claimed>; resolve(n: number): void; reject(err: unknown): void };

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
  /** Per channel, the events waiting to be appended, in the order they arrived (the log keeps Slack's order). */
  private readonly queues = new Map<string, Slot[]>();

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
   * Claims run at once for every event; only the appends wait their turn in the channel's queue (that is what
   * keeps the order). What queued up while an append ran is appended next as one batch (one ordered write for
   * a busy channel, not several round trips per message), and the bookkeeping after it (ledger marks, channel
   * marks) no longer holds the queue.
   */
  private appendInOrder(channel: string, claimed: Promise<Claimed>): Promise<number> {
    claimed.catch(() => {}); // settled in appendSlots
    return new Promise<number>((resolve, reject) => {
      const queue = this.queues.get(channel);
      const slot = { claimed, resolve, reject };
      if (queue) {
        queue.push(slot);
        return;
      }
      this.queues.set(channel, [slot]);
      void this.drain(channel);
    });
  }

  /** Appends the channel's queued slots, batch after batch, until none are left. */
  private async drain(channel: string): Promise<void> {
    for (;;) {
      const slots = this.queues.get(channel)!;
      if (slots.length === 0) {
        this.queues.delete(channel);
        return;
      }
      this.queues.set(channel, []); // arrivals from now on wait for the next batch
      await this.appendSlots(slots);
    }
  }

  private async appendSlots(slots: Slot[]): Promise<void> {
    const settled = await Promise.allSettled(slots.map((s) => s.claimed));
    const items: { slot: number; doc: CaseChannelDoc; entry: ChannelLogEntry }[] = [];
    settled.forEach((r, slot) => {
      if (r.status === 'rejected') slots[slot]!.reject(r.reason);
      else for (const entry of r.value.entries) items.push({ slot, doc: r.value.doc!, entry });
    });
    const counts = slots.map(() => 0);
    const after: Promise<unknown>[] = [];
    let failed: unknown;
    if (items.length > 0) {
      const toAppend = items.map(({ entry }) => ({ actor: entry.user ?? entry.botId ?? SYSTEM_ACTOR, kind: 'channel_message' as const, data: entry }));
      let events: CaseEvent[];
      try {
        events = await this.deps.service.appendLogs(items[0]!.doc.caseId, toAppend);
      } catch (err) {
        events = err instanceof PartialAppendError ? err.appended : [];
        failed = err;
        await this.release(items.slice(events.length).map((i) => i.entry));
      }
      // The channel's marks move once per batch: its newest ts ($max, one width: string order is time order), and
      // each thread once.
      let newest = '';
      const threads = new Set<string>();
      events.forEach((event, k) => {
        const { slot, entry } = items[k]!;
        counts[slot]!++;
        after.push(this.deps.channels.logged(entry.key, event.seq));
        if (entry.ts > newest) newest = entry.ts;
        if (entry.threadTs) threads.add(entry.threadTs);
      });
      const channel = items[0]!.doc._id;
      if (newest) after.push(this.deps.channels.noteLogged(channel, newest));
      for (const thread of threads) after.push(this.deps.channels.noteThread(channel, thread));
    }
    // The marks are awaited by the callers, not by the queue.
    const marked = Promise.all(after);
    settled.forEach((r, slot) => {
      if (r.status === 'rejected') return;
      const hasUnlogged = failed !== undefined && items.some((i) => i.slot === slot) && counts[slot]! < items.filter((i) => i.slot === slot).length;
      marked.then(() => (hasUnlogged ? slots[slot]!.reject(failed) : slots[slot]!.resolve(counts[slot]!)), (err: unknown) => slots[slot]!.reject(err));
    });
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
