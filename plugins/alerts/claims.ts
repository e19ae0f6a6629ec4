// Claims: a delivery is sent only by the runner that won claim number n+1 of it, a unique _id in `claims`, not
// a conditional update: replicas must never both post one card, and the arbiter must hold on any server. A
// sweep of due cards claims them together: one insertMany of their next numbers, their deliveries marked in a
// bulkWrite, one read of the deliveries after recording the claims; a number found taken falls back to one card
// at a time.
import type { AnyBulkWriteOperation } from 'mongodb';
import type { PluginContext } from '../../src/plugins/types.js';
import { bulkWriteInChunks } from '../../src/store/bulk-writes.js';
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
  /** When the claim was won: a send must begin well within CLAIM_MS of it. */
  at: number;
  /**
   * A card not in Slack yet: the claim's write also set postingSince (kept when one was set before). True when
   * an earlier sender had set it: that sender may have posted without recording it, so look in the channel.
   */
  unrecorded: boolean;
  /** The postingSince this claim set, for `release`. */
  posting?: Date;
}

/**
 * Claims the candidates for one send each; returns those won and still due, as they are now. The claims
 * below a won one are spent (their sends are over, or their holders dead): deleted, so a card keeps one claim
 * record instead of one per send. A stale runner that wins a deleted number again finds the counter past it
 * on its re-read and backs off.
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
  const won = new Map<string, { candidate: DeliveryDoc; number: number }>();
  for (const [i, candidate] of candidates.entries()) {
    const number = taken.has(i) ? await claimNext(ctx, candidate) : candidate.claims + 1;
    if (number !== undefined) won.set(candidate._id, { candidate, number });
  }
  if (!won.size) return [];
  const col = deliveries(ctx);
  const claimedAt = Date.now();
  // postingSince recorded with the claim, before any post: if this runner dies after posting, the next one looks.
  const posting = new Date(claimedAt);
  const spent: string[] = [];
  const statements: AnyBulkWriteOperation<DeliveryDoc>[] = [];
  for (const { candidate, number } of won.values()) {
    const first = candidate.ts ? {} : { $min: { postingSince: posting } };
    statements.push({ updateOne: { filter: { _id: candidate._id }, update: { $max: { claims: number }, $set: { claimedUntil: new Date(claimedAt + CLAIM_MS) }, ...first } } });
    for (let k = Math.max(1, candidate.claims); k < number; k++) spent.push(claimId(candidate._id, k));
  }
  // Recorded together (a few commands for the sweep, not one per card); each statement is idempotent.
  await bulkWriteInChunks(col, statements);
  if (spent.length) await claimsOf(ctx).deleteMany({ _id: { $in: spent } });
  // Re-read, so what is sent is current, and only if no later claim exists.
  const now = new Date();
  const claimed: Claimed[] = [];
  for (const doc of await col.find({ _id: { $in: [...won.keys()] } }).toArray()) {
    if (doc.claims > won.get(doc._id)!.number) continue; // a later claim than ours exists: ours is stale
    const ours = !won.get(doc._id)!.candidate.ts;
    if (!doc.dirty || doc.nextAttemptAt > now) {
      await release(ctx, doc._id, ours ? posting : undefined);
      continue;
    }
    claimed.push({ doc, at: claimedAt, unrecorded: !doc.ts && doc.postingSince !== undefined && doc.postingSince.getTime() !== posting.getTime(), posting: ours ? posting : undefined });
  }
  return claimed;
}

/** After losing the first number: the next free one, unless a live runner holds the card (undefined). */
async function claimNext(ctx: Ctx, candidate: DeliveryDoc): Promise<number | undefined> {
  for (let number = candidate.claims + 1; ; number++) {
    if (number > candidate.claims + 1) {
      try {
        await claimsOf(ctx).insertOne({ _id: claimId(candidate._id, number), at: new Date() });
        return number;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    const held = await claimsOf(ctx).findOne({ _id: claimId(candidate._id, number) });
    if (held && held.at.getTime() > Date.now() - CLAIM_MS) return undefined; // a live runner holds it
  }
}

/**
 * Gives a claimed delivery back without sending (it is sent by whoever claims it next), with the postingSince
 * its claim set (`posting`) when it is still the one stored: nothing was posted, the next sender need not look.
 */
export async function release(ctx: Ctx, id: string, posting?: Date): Promise<void> {
  const col = deliveries(ctx);
  if (posting && (await col.updateOne({ _id: id, postingSince: posting }, { $unset: { claimedUntil: '', postingSince: '' } })).matchedCount === 1) return;
  await col.updateOne({ _id: id }, { $unset: { claimedUntil: '' } });
}
