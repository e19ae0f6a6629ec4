// Claims: a delivery is sent only by the runner that won claim number n+1 of it, a unique _id in `claims`, not
// a conditional update: replicas must never both post one card, and the arbiter must hold on any server. A
// sweep of due cards claims them together: one insertMany of their next numbers, then one read of their
// deliveries; a number found taken falls back to one card at a time. The claim record is the only write before
// the send: the delivery row learns the number with the send's outcome (the outbox's record), so a card costs
// one row update per send, not two. So a send under way is the record of number `claims + 1` (sendsUnderWay). A
// number whose record outlived its holder (CLAIM_MS) was a sender that died mid-send: the next claimer passes it
// (keeping it until its own send is recorded) and, for a card not in Slack yet, looks in the channel first.
import type { PluginContext } from '../../src/plugins/types.js';
import { isDuplicateKeyError } from '../../src/store/mongo.js';
import { duplicateIndexes } from '../../src/correlation/leases.js';
import type { AlertsConfig } from './config.js';
import { deliveries, type DeliveryDoc } from './deliveries.js';

type Ctx = PluginContext<AlertsConfig>;
/** A claim older than this is its holder's no more (the holder died): the next number may be taken. */
export const CLAIM_MS = 60_000;

const claimsOf = (ctx: Ctx) => ctx.collection<{ _id: string; at: Date }>('claims');
const claimId = (alertId: string, number: number) => `${alertId}#${number}`;

/** A delivery this runner holds a claim on, read after the claim was recorded: what to send. */
export interface Claimed {
  doc: DeliveryDoc;
  /** The claim number won: recorded on the delivery row (`claims`) with the send's outcome. */
  number: number;
  /** Dead holders' claim records passed to win `number`: deleted once the send's outcome is recorded. */
  passed: string[];
  /** When the claim was won: a send must begin well within CLAIM_MS of it. */
  at: number;
  /**
   * A card not in Slack yet that an earlier sender may have posted without recording it (it died holding its
   * claim, or its send failed in a way that may have posted): look in the channel for posts since then.
   */
  unrecordedSince?: Date;
}

/**
 * Claims the candidates for one send each; returns those won and still due, as they are now. The claim of the
 * last recorded send is spent: deleted, so a card keeps one claim record instead of one per send (dead holders'
 * ones go once the send that passed them is recorded). A stale runner that wins a deleted number again finds the
 * counter at or past it on its re-read and backs off.
 */
export async function claimAll(ctx: Ctx, candidates: DeliveryDoc[]): Promise<Claimed[]> {
  if (!candidates.length) return [];
  const at = new Date();
  let taken = new Set<number>();
  try {
    await claimsOf(ctx).insertMany(candidates.map((c) => ({ _id: claimId(c._id, c.claims + 1), at })), { ordered: false });
  } catch (err) {
    taken = duplicateIndexes(err);
  }
  const won = new Map<string, { candidate: DeliveryDoc; number: number; deadSince?: Date }>();
  for (const [i, candidate] of candidates.entries()) {
    const next = taken.has(i) ? await claimNext(ctx, candidate) : { number: candidate.claims + 1 };
    if (next) won.set(candidate._id, { candidate, ...next });
  }
  if (!won.size) return [];
  const claimedAt = Date.now();
  const spent: string[] = [];
  for (const { candidate } of won.values()) if (candidate.claims >= 1) spent.push(claimId(candidate._id, candidate.claims));
  if (spent.length) await claimsOf(ctx).deleteMany({ _id: { $in: spent } });
  // Re-read, so what is sent is current, and only if no send with our number or a later one was recorded.
  const now = new Date();
  const claimed: Claimed[] = [];
  const giveBack: { id: string; number: number }[] = [];
  for (const doc of await deliveries(ctx).find({ _id: { $in: [...won.keys()] } }).toArray()) {
    const { number, deadSince } = won.get(doc._id)!;
    if (doc.claims >= number || !doc.dirty || doc.nextAttemptAt > now) {
      giveBack.push({ id: doc._id, number });
      continue;
    }
    const since = doc.ts ? undefined : [doc.postingSince, deadSince].filter((d) => d !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
    const passed: string[] = [];
    for (let k = doc.claims + 1; k < number; k++) passed.push(claimId(doc._id, k));
    claimed.push({ doc, number, passed, at: claimedAt, ...(since ? { unrecordedSince: since } : {}) });
  }
  await release(ctx, giveBack);
  return claimed;
}

/**
 * After losing the first number: the next free one, unless a live runner holds the card (undefined). A dead
 * holder's number is passed; `deadSince` is when the earliest of them was won (it may have posted since). A
 * number given back meanwhile is tried again, not skipped: a send under way must hold `claims + 1` or pass it.
 */
async function claimNext(ctx: Ctx, candidate: DeliveryDoc): Promise<{ number: number; deadSince?: Date } | undefined> {
  let deadSince: Date | undefined;
  let number = candidate.claims + 1;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (attempt > 0) {
      try {
        await claimsOf(ctx).insertOne({ _id: claimId(candidate._id, number), at: new Date() });
        return { number, ...(deadSince ? { deadSince } : {}) };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    const held = await claimsOf(ctx).findOne({ _id: claimId(candidate._id, number) });
    if (!held) continue; // given back meanwhile: try it again
    if (held.at.getTime() > Date.now() - CLAIM_MS) return undefined; // a live runner holds it
    if (!deadSince || held.at < deadSince) deadSince = held.at;
    number++;
  }
  return undefined; // numbers keep appearing and vanishing: left to the next sweep
}

/**
 * The rows (dirty ones, as read) whose card a runner may be sending now: the claim record of their next number
 * exists. Its holder read the alert before a change that comes now, so such a change must be written (rev).
 */
export async function sendsUnderWay(ctx: Ctx, rows: DeliveryDoc[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const byClaim = new Map(rows.map((d) => [claimId(d._id, d.claims + 1), d._id]));
  const held = await claimsOf(ctx).find({ _id: { $in: [...byClaim.keys()] } }).project<{ _id: string }>({ _id: 1 }).toArray();
  return new Set(held.map((c) => byClaim.get(c._id)!));
}

/** Deletes claim records (dead holders' ones passed by a send now recorded). */
export async function dropClaims(ctx: Ctx, ids: string[]): Promise<void> {
  if (ids.length) await claimsOf(ctx).deleteMany({ _id: { $in: ids } });
}

/**
 * Gives claimed deliveries back without sending (whoever claims them next sends them): their claim records
 * are deleted, so the next claimer wins the same number and need not wonder whether this runner posted.
 */
export async function release(ctx: Ctx, claims: { id: string; number: number }[]): Promise<void> {
  if (claims.length) await claimsOf(ctx).deleteMany({ _id: { $in: claims.map((c) => claimId(c.id, c.number)) } });
}
