// The durable outbox: every post and update of an alert card is a row in `deliveries` first, then an Agenda
// job sends what is due. Slack's 429 reschedules after Retry-After; 5xx and network errors back off and retry
// up to maxAttempts; a problem retrying cannot fix (bot not in the channel) fails at once, loudly. Nothing
// lives only in memory, so a restart (or another replica) picks up whatever is pending.
import { z } from 'zod';
import type { JobRef, PluginContext, PluginRegistrar } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { renderAlertCard, type CardButton } from '../../src/alerts/card.js';
import { isDuplicateKeyError } from '../../src/store/mongo.js';
import type { AlertsConfig } from './config.js';
import { backoffMs, deliveries, type DeliveryDoc } from './deliveries.js';
import { route } from './routing.js';
import { cardInput, withCases, type ActedAlert } from './card-input.js';
import { deliveryClient, notifyAdmins } from './delivery-client.js';
import { channelProblem, classifySlackError } from './slack-errors.js';
import { countSend } from './metrics.js';

type Ctx = PluginContext<AlertsConfig>;
const CLAIM_MS = 60_000;
const BATCH = 50;
/** How long a queued outbox run that has not begun here stands for later requests (see `wake`). */
const COALESCE_MS = 2_000;

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
  let queuedAt: number | undefined;
  let recheck: NodeJS.Timeout | undefined;
  const wake = async (ctx: Ctx, when: Date, reason: string): Promise<void> => {
    if (when.getTime() > Date.now()) return void (await ctx.scheduler.schedule(job, when, { reason }));
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

  async function request(ctx: Ctx, alert: StoredAlert, options: { urgent?: boolean } = {}): Promise<void> {
    const now = new Date();
    const col = deliveries(ctx);
    const existing = await col.findOne({ _id: alert._id });
    if (!existing || (existing.status === 'suppressed' && !existing.ts)) {
      const decision = await route(ctx, alert, now);
      if (!decision.post) {
        ctx.logger.info({ alert: alert._id, rule: alert.ruleId, team: alert.team, reason: decision.reason, detail: decision.detail }, 'alert stored, card not posted');
        if (decision.reason === 'no_channel' && !existing) await notifyAdmins(ctx, `An alert card was not posted: ${decision.detail} (alert \`${alert._id}\`, rule \`${alert.ruleId}\`).`);
        const suppressed = { reason: decision.reason, detail: decision.detail };
        if (existing) await col.updateOne({ _id: alert._id }, { $set: { suppressed, updatedAt: now } });
        else await insertOrUpdate(col, { _id: alert._id, status: 'suppressed', dirty: false, urgent: false, rev: 0, claims: 0, attempts: 0, nextAttemptAt: now, suppressed, createdAt: now, updatedAt: now });
        return;
      }
      const fresh: DeliveryDoc = { _id: alert._id, status: 'pending', channel: decision.channel, dirty: true, urgent: false, rev: 1, claims: 0, attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now };
      if (existing) {
        await col.updateOne({ _id: alert._id }, { $set: { status: 'pending', channel: decision.channel, dirty: true, attempts: 0, nextAttemptAt: now, updatedAt: now }, $inc: { rev: 1 }, $unset: { suppressed: '' } });
      } else if (!(await insertOrUpdate(col, fresh))) {
        return request(ctx, alert, options); // another writer created it meanwhile: take the update path
      }
      await wake(ctx, now, 'new card');
      return;
    }
    if (existing.status === 'suppressed') return; // was posted once, then suppressed: nothing to do

    const interval = ctx.config.updateIntervalSeconds * 1000;
    const earliest = options.urgent ? now : new Date(Math.max(now.getTime(), (existing.lastSentAt?.getTime() ?? 0) + interval));
    // A failed card gets a fresh set of attempts with every new change: nothing is given up for good.
    const revive = existing.status === 'failed' ? { status: existing.ts ? ('posted' as const) : ('pending' as const), attempts: 0 } : {};
    if (existing.dirty) {
      await col.updateOne(
        { _id: alert._id },
        { $set: { updatedAt: now, ...revive, ...(options.urgent ? { urgent: true } : {}) }, $inc: { rev: 1 }, $min: { nextAttemptAt: earliest } },
      );
      if (earliest < existing.nextAttemptAt) await wake(ctx, earliest, 'card changed');
    } else {
      await col.updateOne(
        { _id: alert._id },
        { $set: { dirty: true, urgent: options.urgent === true, nextAttemptAt: earliest, updatedAt: now, ...revive }, $inc: { rev: 1 } },
      );
      await wake(ctx, earliest, 'card changed');
    }
  }

  async function processDue(ctx: Ctx): Promise<void> {
    queuedAt = undefined; // what is requested from now on needs a run of its own
    const col = deliveries(ctx);
    for (let round = 0; round < 20; round++) {
      const now = new Date();
      const due = await col.find({ dirty: true, nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(BATCH).toArray();
      const claimable = due.filter((d) => !d.claimedUntil || d.claimedUntil <= now);
      if (!claimable.length) return;
      for (const candidate of claimable) {
        const doc = await claim(ctx, candidate);
        if (!doc) continue; // another runner took it, or it is no longer due
        const outcome = await send(ctx, doc);
        if (outcome === 'stop') return; // rate limited: the rest waits too, a job is scheduled after Retry-After
      }
    }
    await wake(ctx, new Date(), 'more due'); // a long backlog: continue in a fresh job run
  }

  /**
   * Claims a delivery for one send. The arbiter is a unique _id in `claims` (claim number n+1 of the
   * delivery), not a conditional update: FerretDB does not make those atomic, and two replicas must never
   * both post one card. A claim whose holder died (killed after winning it, before recording it) is older
   * than CLAIM_MS: the next number is tried, so a dead claimer never blocks a card for good. The winner
   * re-reads the delivery so it sends what is current, and only if no later claim exists.
   */
  async function claim(ctx: Ctx, candidate: DeliveryDoc): Promise<DeliveryDoc | null> {
    const claims = ctx.collection<{ _id: string; at: Date }>('claims');
    let number = candidate.claims + 1;
    for (;; number++) {
      try {
        await claims.insertOne({ _id: `${candidate._id}#${number}`, at: new Date() });
        break;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const held = await claims.findOne({ _id: `${candidate._id}#${number}` });
        if (held && held.at.getTime() > Date.now() - CLAIM_MS) return null; // a live runner holds it
      }
    }
    const now = new Date();
    await deliveries(ctx).updateOne({ _id: candidate._id }, { $max: { claims: number }, $set: { claimedUntil: new Date(now.getTime() + CLAIM_MS) } });
    // The claims below ours are spent (their sends are over, or their holders dead): deleted, so a card keeps
    // one claim record instead of one per send. A stale runner that wins a deleted number again finds the
    // counter past it just below and backs off.
    const spent: string[] = [];
    for (let k = Math.max(1, candidate.claims); k < number; k++) spent.push(`${candidate._id}#${k}`);
    if (spent.length) await claims.deleteMany({ _id: { $in: spent } });
    const doc = await deliveries(ctx).findOne({ _id: candidate._id });
    if (doc && doc.claims > number) return null; // a later claim than ours exists: ours is stale
    if (!doc || !doc.dirty || doc.nextAttemptAt > now) {
      if (doc) await deliveries(ctx).updateOne({ _id: doc._id }, { $unset: { claimedUntil: '' } });
      return null;
    }
    return doc;
  }

  /**
   * A post that started but was never recorded (the process died between Slack's answer and the database
   * write) may be in the channel already: find it by the alert id its buttons carry, so it is updated, not
   * posted twice.
   */
  async function findUnrecordedPost(ctx: Ctx, doc: DeliveryDoc): Promise<string | undefined> {
    if (!doc.postingSince || !doc.channel) return undefined;
    try {
      const res = await deliveryClient(ctx).conversations.history({ channel: doc.channel, oldest: String(doc.postingSince.getTime() / 1000 - 60), limit: 200 });
      return (res.messages ?? []).find((m) => JSON.stringify(m.blocks ?? []).includes(doc._id))?.ts;
    } catch (err) {
      // Without channels:history the check cannot be made: a possible duplicate beats a lost card.
      ctx.logger.warn({ err, alert: doc._id }, 'could not look for an unrecorded card post (conversations.history); posting');
      return undefined;
    }
  }

  async function send(ctx: Ctx, claimed: DeliveryDoc): Promise<'ok' | 'retry' | 'failed' | 'stop'> {
    let doc = claimed;
    const col = deliveries(ctx);
    const method = doc.ts ? 'chat.update' : 'chat.postMessage';
    const stored = (await ctx.correlation.alerts.get(doc._id)) as ActedAlert | null;
    const alert = stored ? await withCases(ctx, stored) : null;
    const release = { $unset: { claimedUntil: '' as const } };
    if (!alert) {
      await col.updateOne({ _id: doc._id }, { $set: { status: 'failed', dirty: false, lastError: 'the alert is missing from the alerts collection', updatedAt: new Date() }, ...release });
      ctx.logger.error({ alert: doc._id }, 'alert card delivery failed: the alert is missing');
      return 'failed';
    }
    let sent: { channel: string; ts: string };
    try {
      const message = renderAlertCard(ctx.templates, await cardInput(ctx, alert, deps.buttons(alert, ctx)));
      const client = deliveryClient(ctx);
      const found = doc.ts ? undefined : await findUnrecordedPost(ctx, doc);
      if (found) {
        ctx.logger.warn({ alert: doc._id, ts: found }, 'alert card was posted by a process that died before recording it; updating it instead of posting again');
        await col.updateOne({ _id: doc._id }, { $set: { ts: found, status: 'posted' }, $unset: { postingSince: '' } });
        doc = { ...doc, ts: found };
      } else if (!doc.ts) {
        // Recorded before the post: if this process dies before recording the ts, the next sender looks first.
        await col.updateOne({ _id: doc._id }, { $set: { postingSince: new Date() } });
      }
      if (doc.ts) {
        await client.chat.update({ channel: doc.channel!, ts: doc.ts, ...message });
        sent = { channel: doc.channel!, ts: doc.ts };
      } else {
        const res = await client.chat.postMessage({ channel: doc.channel!, ...message, unfurl_links: false, unfurl_media: false });
        sent = { channel: res.channel ?? doc.channel!, ts: res.ts! };
      }
    } catch (err) {
      return failed(ctx, doc, method, err);
    }
    countSend(ctx, method, 'ok');
    const now = new Date();
    const done = { status: 'posted' as const, channel: sent.channel, ts: sent.ts, attempts: 0, lastSentAt: now, updatedAt: now };
    // The ts first, unconditionally: whatever happens next, the card is known to be in Slack.
    await col.updateOne({ _id: doc._id }, { $set: { ts: sent.ts, channel: sent.channel, status: 'posted' }, $unset: { postingSince: '' } });
    const cleared = await col.updateOne(
      { _id: doc._id, rev: doc.rev },
      { $set: { ...done, dirty: false, urgent: false, nextAttemptAt: now }, $unset: { claimedUntil: '', lastError: '' } },
    );
    // A request may have slipped in between (conditional updates are not atomic on every server): re-check.
    const after = cleared.matchedCount === 1 ? await col.findOne({ _id: doc._id }) : null;
    if (after && after.rev !== doc.rev && !after.dirty) {
      await col.updateOne({ _id: doc._id }, { $set: { dirty: true } });
    }
    if (cleared.matchedCount === 0 || (after && after.rev !== doc.rev)) {
      // Changed while we were sending: one more update, no sooner than the interval allows (unless urgent).
      const current = await col.findOne({ _id: doc._id });
      const next = new Date(current?.urgent ? now.getTime() : now.getTime() + ctx.config.updateIntervalSeconds * 1000);
      await col.updateOne({ _id: doc._id }, { $set: { ...done, nextAttemptAt: next }, $unset: { claimedUntil: '', lastError: '' } });
      await wake(ctx, next, 'changed while sending');
    }
    ctx.logger.debug({ alert: doc._id, method, channel: sent.channel, ts: sent.ts }, 'alert card sent');
    return 'ok';
  }

  async function failed(ctx: Ctx, doc: DeliveryDoc, method: string, err: unknown): Promise<'retry' | 'failed' | 'stop'> {
    const col = deliveries(ctx);
    const failure = classifySlackError(err);
    const now = new Date();
    const log = { alert: doc._id, method, channel: doc.channel, error: failure.error };
    if (failure.kind === 'rate_limited') {
      countSend(ctx, method, 'rate_limited');
      const next = new Date(now.getTime() + failure.retryAfterSeconds * 1000);
      await col.updateOne({ _id: doc._id }, { $set: { nextAttemptAt: next, lastError: failure.error, updatedAt: now }, $unset: { claimedUntil: '' } });
      ctx.logger.warn({ ...log, retryAfterSeconds: failure.retryAfterSeconds }, 'Slack rate limit: alert card delivery waits as asked');
      await wake(ctx, next, 'rate limited');
      return 'stop';
    }
    const attempts = doc.attempts + 1;
    if (failure.kind === 'transient' && attempts < ctx.config.maxAttempts) {
      countSend(ctx, method, 'retry');
      const next = new Date(now.getTime() + backoffMs(ctx.config, attempts));
      await col.updateOne({ _id: doc._id }, { $set: { attempts, nextAttemptAt: next, lastError: failure.error, updatedAt: now }, $unset: { claimedUntil: '' } });
      ctx.logger.warn({ ...log, attempts, nextAttemptAt: next }, 'alert card delivery failed; retrying later');
      await wake(ctx, next, 'retry');
      return 'retry';
    }
    countSend(ctx, method, 'failed');
    await col.updateOne({ _id: doc._id }, { $set: { status: 'failed', dirty: false, urgent: false, attempts, lastError: failure.error, updatedAt: now }, $unset: { claimedUntil: '' } });
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
    lockLifetimeMs: 5 * 60_000,
    // One run at a time per process: sends stay in order and paced; replicas are kept apart by claims.
    concurrency: 1,
    async handler(_input, ctx) {
      await processDue(ctx);
    },
  });

  return { job, request, processDue };
}

/** Inserts a new delivery; false when one already exists (a racing replica). */
async function insertOrUpdate(col: ReturnType<typeof deliveries>, doc: DeliveryDoc): Promise<boolean> {
  try {
    await col.insertOne(doc);
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}
