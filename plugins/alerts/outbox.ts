// The durable outbox: every post and update of an alert card is a row in `deliveries` first, then an Agenda
// job sends what is due. Slack's 429 reschedules after Retry-After; 5xx and network errors back off and retry
// up to maxAttempts; a problem retrying cannot fix (bot not in the channel) fails at once, loudly. Nothing
// lives only in memory, so a restart (or another replica) picks up whatever is pending. A run takes the due
// cards a sweep at a time: claimed together (claims.ts), their alerts, cases and signals read together
// (card-input.ts), then sent one by one, and recorded a few at a time (one row update per send, which also
// records the claim's number).
import { z } from 'zod';
import type { JobRef, PluginContext, PluginRegistrar } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { renderAlertCard, type CardButton } from '../../src/alerts/card.js';
import type { AlertsConfig } from './config.js';
import { backoffMs, deliveries, type DeliveryDoc } from './deliveries.js';
import { cardData, cardInput, type ActedAlert, type CardData } from './card-input.js';
import { deliveryClient, notifyAdmins } from './delivery-client.js';
import { channelProblem, classifySlackError } from './slack-errors.js';
import { countSend } from './metrics.js';
import { cardRequests } from './requests.js';
import { CLAIM_MS, claimAll, dropClaims, release, type Claimed } from './claims.js';
import { bulkWriteInChunks } from '../../src/store/bulk-writes.js';

type Ctx = PluginContext<AlertsConfig>;
const BATCH = 50;
/** How long a queued outbox run that has not begun here stands for later requests (see `wake`). */
const COALESCE_MS = 2_000;
/** A claimed card whose send has not begun this long after its claim goes back (its claim must outlive the send). */
const SEND_WITHIN_MS = CLAIM_MS / 3;
const LOCK_MS = 5 * 60_000;
/** Cards sent are recorded this many at a time (and at the end of a sweep). */
const RECORD_EVERY = 16;
/** A run stops taking new sweeps after this long; a fresh run continues. */
const RUN_MS = LOCK_MS / 5;

/** A card Slack accepted, not yet recorded. */
interface Sent {
  doc: DeliveryDoc;
  /** The claim it was sent under, recorded with it, and the dead holders' claims it passed. */
  claim: Pick<Claimed, 'number' | 'passed'>;
  channel: string;
  ts: string;
  at: Date;
}

export interface Outbox {
  job: JobRef<{ reason?: string }>;
  /** Marks the alert's card due: a post for a new card, an update (coalesced unless urgent) for a posted one. */
  request(ctx: Ctx, alert: StoredAlert, options?: { urgent?: boolean }): Promise<void>;
  /** Sends every due delivery (the job's body; tests may call it directly). */
  processDue(ctx: Ctx): Promise<void>;
}

export function registerOutbox(plugin: PluginRegistrar<AlertsConfig>, deps: { buttons(alert: ActedAlert, ctx: Ctx): CardButton[] }): Outbox {
  const jobData = z.object({ reason: z.string().optional() });

  // A run queued here that has not begun yet sends every delivery due by then: a burst of new cards queues one
  // job, not one each (a job document per card was most of a burst's writes). Another replica's Agenda may take
  // that run before the last cards were stored: if none begins here within COALESCE_MS, one more is queued.
  // A later run is queued once per second of due time: a burst of card updates due at once schedules one job.
  let queuedAt: number | undefined;
  let recheck: NodeJS.Timeout | undefined;
  const scheduled = new Set<number>();
  const wake = async (ctx: Ctx, when: Date, reason: string): Promise<void> => {
    if (when.getTime() > Date.now()) {
      const second = Math.ceil(when.getTime() / 1000) * 1000;
      for (const s of scheduled) if (s < Date.now()) scheduled.delete(s);
      if (scheduled.has(second)) return;
      scheduled.add(second);
      try {
        await ctx.scheduler.schedule(job, new Date(second), { reason });
      } catch (err) {
        scheduled.delete(second);
        throw err;
      }
      return;
    }
    if (queuedAt !== undefined && Date.now() - queuedAt < COALESCE_MS) {
      recheck ??= setTimeout(() => {
        recheck = undefined;
        if (queuedAt === undefined) return; // a run began here: it saw what was skipped
        queuedAt = undefined;
        wake(ctx, new Date(), 'coalesced').catch((err: unknown) => ctx.logger.warn({ err }, 'could not queue the alert card outbox; the sweep will'));
      }, COALESCE_MS).unref();
      return;
    }
    queuedAt = Date.now();
    await ctx.scheduler.now(job, { reason });
  };

  const request = cardRequests(wake);

  async function processDue(ctx: Ctx): Promise<void> {
    queuedAt = undefined; // what is requested from now on needs a run of its own
    const col = deliveries(ctx);
    const began = Date.now();
    // A run ends well within its job lock's lifetime (a slow store), so Agenda never starts a second one here.
    for (let round = 0; round < 20 && Date.now() - began < RUN_MS; round++) {
      const now = new Date();
      const due = await col.find({ dirty: true, nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(BATCH).toArray();
      const claimable = due.filter((d) => !d.claimedUntil || d.claimedUntil <= now);
      if (!claimable.length) return;
      const claimed = await claimAll(ctx, claimable);
      const data = await cardData(ctx, claimed.map((c) => c.doc._id));
      const cleared: Sent[] = [];
      const sent: Sent[] = [];
      let stop = false;
      for (const [i, c] of claimed.entries()) {
        // Too long since the claim (slow sends before it): the rest is given back and claimed afresh next round.
        // The first is always sent, so a slow store cannot make a run that sends nothing.
        const late = i > 0 && Date.now() - c.at > SEND_WITHIN_MS;
        // Rate limited: the rest waits too, a job is scheduled after Retry-After.
        stop = !late && (await send(ctx, c, data.get(c.doc._id), sent)) === 'stop';
        if (late || stop) {
          await release(ctx, claimed.slice(late ? i : i + 1).map((rest) => ({ id: rest.doc._id, number: rest.number })));
          break;
        }
        if (sent.length >= RECORD_EVERY) await recordSent(ctx, sent, cleared);
      }
      await recordSent(ctx, sent, cleared);
      await recheckCleared(ctx, cleared);
      if (stop) return;
    }
    await wake(ctx, new Date(), 'more due'); // a long backlog: continue in a fresh job run
  }

  /**
   * A post that started but was never recorded (the process died between Slack's answer and the database
   * write) may be in the channel already: find it by the alert id its buttons carry, so it is updated, not
   * posted twice.
   */
  async function findUnrecordedPost(ctx: Ctx, doc: DeliveryDoc, since: Date): Promise<string | undefined> {
    if (!doc.channel) return undefined;
    try {
      const res = await deliveryClient(ctx).conversations.history({ channel: doc.channel, oldest: String(since.getTime() / 1000 - 60), limit: 200 });
      return (res.messages ?? []).find((m) => JSON.stringify(m.blocks ?? []).includes(doc._id))?.ts;
    } catch (err) {
      // Without channels:history the check cannot be made: a possible duplicate beats a lost card.
      ctx.logger.warn({ err, alert: doc._id }, 'could not look for an unrecorded card post (conversations.history); posting');
      return undefined;
    }
  }

  /** Sends one claimed card; a card sent goes to `sent`, recorded a few at a time (recordSent). */
  async function send(ctx: Ctx, claimed: Claimed, data: CardData | undefined, sent: Sent[]): Promise<'ok' | 'retry' | 'failed' | 'stop'> {
    let doc = claimed.doc;
    const col = deliveries(ctx);
    const method = doc.ts ? 'chat.update' : 'chat.postMessage';
    if (!data) {
      const update = { $set: { status: 'failed' as const, dirty: false, lastError: 'the alert is missing from the alerts collection', updatedAt: new Date() }, $max: { claims: claimed.number }, $unset: { claimedUntil: '' as const } };
      await col.updateOne({ _id: doc._id }, update);
      await dropClaims(ctx, claimed.passed);
      ctx.logger.error({ alert: doc._id }, 'alert card delivery failed: the alert is missing');
      return 'failed';
    }
    let where: { channel: string; ts: string };
    try {
      const message = renderAlertCard(ctx.templates, cardInput(data, deps.buttons(data.alert, ctx)));
      const client = deliveryClient(ctx);
      const found = claimed.unrecordedSince ? await findUnrecordedPost(ctx, doc, claimed.unrecordedSince) : undefined;
      if (found) {
        ctx.logger.warn({ alert: doc._id, ts: found }, 'alert card was posted by a process that died before recording it; updating it instead of posting again');
        await col.updateOne({ _id: doc._id }, { $set: { ts: found, status: 'posted' }, $unset: { postingSince: '' } });
        doc = { ...doc, ts: found };
      }
      if (doc.ts) {
        await client.chat.update({ channel: doc.channel!, ts: doc.ts, ...message });
        where = { channel: doc.channel!, ts: doc.ts };
      } else {
        const res = await client.chat.postMessage({ channel: doc.channel!, ...message, unfurl_links: false, unfurl_media: false });
        where = { channel: res.channel ?? doc.channel!, ts: res.ts! };
      }
    } catch (err) {
      const outcome = await failed(ctx, claimed, doc, method, err);
      await dropClaims(ctx, claimed.passed);
      return outcome;
    }
    countSend(ctx, method, 'ok');
    sent.push({ doc, claim: claimed, ...where, at: new Date() });
    ctx.logger.debug({ alert: doc._id, method, ...where }, 'alert card sent');
    return 'ok';
  }

  /**
   * Records cards sent, with their claims' numbers: a few commands for the batch, not one per card. Until then
   * the claim record is the only trace of a send, so a process that dies before this leaves a claim that
   * outlives it, and the next claimer of a first post looks in the channel: the card is found, not posted
   * twice. A card cleared here goes to `cleared` (re-checked once the sweep's sends are done).
   */
  async function recordSent(ctx: Ctx, sent: Sent[], cleared: Sent[]): Promise<void> {
    if (!sent.length) return;
    const batch = sent.splice(0);
    const col = deliveries(ctx);
    const done = (s: Sent) => ({ status: 'posted' as const, channel: s.channel, ts: s.ts, attempts: 0, lastSentAt: s.at, updatedAt: s.at });
    const finished = { claimedUntil: '' as const, lastError: '' as const, postingSince: '' as const };
    // Clean only if no request wrote while sending (rev unchanged).
    const { matched } = await bulkWriteInChunks(col, batch.map((s) => ({
      updateOne: { filter: { _id: s.doc._id, rev: s.doc.rev }, update: { $set: { ...done(s), dirty: false, urgent: false, nextAttemptAt: s.at }, $max: { claims: s.claim.number }, $unset: finished } },
    })));
    const passed = batch.flatMap((s) => s.claim.passed);
    if (matched === batch.length) {
      cleared.push(...batch);
      await dropClaims(ctx, passed);
      return;
    }
    // Some changed while we were sending (rev moved; it only grows): recorded as sent, one more update due no
    // sooner than the interval allows (unless urgent).
    const current = new Map((await col.find({ _id: { $in: batch.map((s) => s.doc._id) } }).toArray()).map((d) => [d._id, d]));
    const again: { s: Sent; next: Date }[] = [];
    for (const s of batch) {
      const now = current.get(s.doc._id);
      if (!now) continue;
      if (now.rev === s.doc.rev) cleared.push(s);
      else again.push({ s, next: new Date(now.urgent ? s.at.getTime() : s.at.getTime() + ctx.config.updateIntervalSeconds * 1000) });
    }
    const statements = again.map(({ s, next }) => ({ updateOne: { filter: { _id: s.doc._id }, update: { $set: { ...done(s), nextAttemptAt: next }, $max: { claims: s.claim.number }, $unset: finished } } }));
    await bulkWriteInChunks(col, statements);
    await dropClaims(ctx, passed);
    for (const { next } of again) await wake(ctx, next, 'changed while sending');
  }

  /**
   * Cards marked clean whose rev moved meanwhile: a request slipped in between our conditional write's check and
   * its write (conditional updates are not atomic on every server), saw the card being sent and left it dirty.
   * Marked dirty again. A request that found the card clean marked it dirty itself.
   */
  async function recheckCleared(ctx: Ctx, cleared: Sent[]): Promise<void> {
    if (!cleared.length) return;
    const col = deliveries(ctx);
    const rev = new Map(cleared.map((s) => [s.doc._id, s.doc.rev]));
    const now = Date.now();
    for (const after of await col.find({ _id: { $in: [...rev.keys()] } }).toArray()) {
      if (after.rev === rev.get(after._id) || after.dirty) continue;
      const next = new Date(after.urgent ? now : now + ctx.config.updateIntervalSeconds * 1000);
      await col.updateOne({ _id: after._id }, { $set: { dirty: true, nextAttemptAt: next } });
      await wake(ctx, next, 'changed while sending');
    }
  }

  async function failed(ctx: Ctx, claimed: Claimed, doc: DeliveryDoc, method: string, err: unknown): Promise<'retry' | 'failed' | 'stop'> {
    const col = deliveries(ctx);
    const failure = classifySlackError(err);
    const now = new Date();
    const log = { alert: doc._id, method, channel: doc.channel, error: failure.error };
    // Every outcome records the claim's number, so the next send claims the one after it.
    const claims = { $max: { claims: claimed.number } };
    if (failure.kind === 'rate_limited') {
      countSend(ctx, method, 'rate_limited');
      const next = new Date(now.getTime() + failure.retryAfterSeconds * 1000);
      await col.updateOne({ _id: doc._id }, { $set: { nextAttemptAt: next, lastError: failure.error, updatedAt: now }, ...claims, $unset: { claimedUntil: '' } });
      ctx.logger.warn({ ...log, retryAfterSeconds: failure.retryAfterSeconds }, 'Slack rate limit: alert card delivery waits as asked');
      await wake(ctx, next, 'rate limited');
      return 'stop';
    }
    const attempts = doc.attempts + 1;
    if (failure.kind === 'transient' && attempts < ctx.config.maxAttempts) {
      countSend(ctx, method, 'retry');
      const next = new Date(now.getTime() + backoffMs(ctx.config, attempts));
      // A first post that timed out or got a 5xx may be in the channel all the same: the next sender looks.
      const maybePosted = doc.ts ? {} : { $min: { postingSince: new Date(claimed.at) } };
      await col.updateOne({ _id: doc._id }, { $set: { attempts, nextAttemptAt: next, lastError: failure.error, updatedAt: now }, ...claims, ...maybePosted, $unset: { claimedUntil: '' } });
      ctx.logger.warn({ ...log, attempts, nextAttemptAt: next }, 'alert card delivery failed; retrying later');
      await wake(ctx, next, 'retry');
      return 'retry';
    }
    countSend(ctx, method, 'failed');
    await col.updateOne({ _id: doc._id }, { $set: { status: 'failed', dirty: false, urgent: false, attempts, lastError: failure.error, updatedAt: now }, ...claims, $unset: { claimedUntil: '' } });
    const problem = failure.kind === 'permanent' ? channelProblem(failure.code, doc.channel ?? '?') : undefined;
    const what = doc.ts ? 'updated' : 'posted';
    ctx.logger.error({ ...log, attempts, ...(problem ? { fix: problem } : {}) }, `alert card could not be ${what}${problem ? `: ${problem}` : ''}`);
    await notifyAdmins(
      ctx,
      `Alert card \`${doc._id}\` could not be ${what} in <#${doc.channel}>: ${problem ?? `${failure.error} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`}. ` +
        'It is still stored; `/taser alerts failed` lists such cards.',
    );
    return 'failed';
  }

  const job = plugin.job({
    name: 'outbox',
    data: jobData,
    lockLifetimeMs: LOCK_MS,
    // One run at a time per process: sends stay in order and paced; replicas are kept apart by claims.
    concurrency: 1,
    async handler(_input, ctx) {
      await processDue(ctx);
    },
  });

  return { job, request, processDue };
}
