// Requests for alert cards (a new alert, appended signals, a person's action), applied to the `deliveries` outbox
// in bursts: the correlator emits an alert event per alert it writes, dozens per ingested batch, and one
// request each cost a delivery read, a snooze read and an insert or update. Requests made while a burst is being
// applied wait and are applied together next: one read of their deliveries by _id, one threshold and one snooze
// read for the new ones, one insertMany of their delivery rows, the changes to existing rows in a bulkWrite.
// Nothing is held only in memory beyond the caller's await: a request resolves once its row is written (or found
// needing no write).
import type { AnyBulkWriteOperation } from 'mongodb';
import type { PluginContext } from '../../src/plugins/types.js';
import { bulkWriteInChunks } from '../../src/store/bulk-writes.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import { duplicateIndexes } from '../../src/correlation/leases.js';
import type { AlertsConfig } from './config.js';
import { deliveries, type DeliveryDoc } from './deliveries.js';
import { routeAll } from './routing.js';
import { notifyAdmins } from './delivery-client.js';
import { sendsUnderWay } from './claims.js';

type Ctx = PluginContext<AlertsConfig>;
export type Wake = (ctx: Ctx, when: Date, reason: string) => Promise<void>;

/** At most this many requests per burst (one `$in` read of their deliveries). */
const BURST = 500;
/** Rows due this far ahead may be claimed already by a replica whose clock is ahead of ours. */
const CLOCK_SKEW_MS = 5_000;

interface CardRequest {
  ctx: Ctx;
  alert: StoredAlert;
  urgent: boolean;
}

/** `request(ctx, alert)`: marks the alert's card due (see Outbox.request); bursts of requests are applied together. */
export function cardRequests(wake: Wake): (ctx: Ctx, alert: StoredAlert, options?: { urgent?: boolean }) => Promise<void> {
  let queue: { request: CardRequest; resolve(): void; reject(err: unknown): void }[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (queue.length) {
      const burst = queue.splice(0, BURST);
      try {
        await applyRequests(burst.map((q) => q.request), wake);
        for (const q of burst) q.resolve();
      } catch (err) {
        for (const q of burst) q.reject(err);
      }
    }
    running = false;
  };
  return (ctx, alert, options = {}) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ request: { ctx, alert, urgent: options.urgent === true }, resolve, reject });
      // After the current synchronous burst of events (the correlator emits a batch's alerts in one loop).
      if (!running && queue.length === 1) queueMicrotask(() => void (running || drain()));
    });
}

/** Applies a burst: requests of one alert merge (the newest alert, urgent if any was). */
async function applyRequests(requests: CardRequest[], wake: Wake): Promise<void> {
  const byId = new Map<string, CardRequest>();
  for (const r of requests) {
    const prev = byId.get(r.alert._id);
    byId.set(r.alert._id, prev ? { ...r, urgent: r.urgent || prev.urgent } : r);
  }
  let todo = [...byId.values()];
  const ctx = todo[0]!.ctx;
  const col = deliveries(ctx);
  // A row another writer inserted meanwhile sends its request round again, down the update path.
  for (let round = 0; todo.length; round++) {
    if (round > 5) throw new Error(`could not write the card deliveries of ${todo.length} alerts: their rows keep appearing and vanishing`);
    const now = new Date();
    const existing = new Map((await col.find({ _id: { $in: todo.map((r) => r.alert._id) } }).toArray()).map((d) => [d._id, d]));
    const fresh = todo.filter((r) => {
      const d = existing.get(r.alert._id);
      return !d || (d.status === 'suppressed' && !d.ts);
    });
    const decisions = await routeAll(ctx, fresh.map((r) => r.alert), now);
    const inserts: { request: CardRequest; doc: DeliveryDoc }[] = [];
    // Writes to existing rows, applied together below (a few commands for the burst), and the wakes they need.
    const writes: AnyBulkWriteOperation<DeliveryDoc>[] = [];
    const wakes: Date[] = [];
    let due = false;
    for (const [i, r] of fresh.entries()) {
      const { alert } = r;
      const decision = decisions[i]!;
      const had = existing.get(alert._id);
      if (!decision.post) {
        r.ctx.logger.info({ alert: alert._id, rule: alert.ruleId, team: alert.team, reason: decision.reason, detail: decision.detail }, 'alert stored, card not posted');
        if (decision.reason === 'no_channel' && !had) await notifyAdmins(r.ctx, `An alert card was not posted: ${decision.detail} (alert \`${alert._id}\`, rule \`${alert.ruleId}\`).`);
        const suppressed = { reason: decision.reason, detail: decision.detail };
        if (had) writes.push({ updateOne: { filter: { _id: alert._id }, update: { $set: { suppressed, updatedAt: now } } } });
        else inserts.push({ request: r, doc: { _id: alert._id, status: 'suppressed', dirty: false, urgent: false, rev: 0, claims: 0, attempts: 0, nextAttemptAt: now, suppressed, createdAt: now, updatedAt: now } });
        continue;
      }
      due = true;
      if (had) {
        writes.push({ updateOne: { filter: { _id: alert._id }, update: { $set: { status: 'pending', channel: decision.channel, dirty: true, attempts: 0, nextAttemptAt: now, updatedAt: now }, $inc: { rev: 1 }, $unset: { suppressed: '' } } } });
      } else {
        inserts.push({ request: r, doc: { _id: alert._id, status: 'pending', channel: decision.channel, dirty: true, urgent: false, rev: 1, claims: 0, attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now } });
      }
    }
    let taken = new Set<number>();
    if (inserts.length) {
      try {
        await col.insertMany(inserts.map((i) => i.doc), { ordered: false });
      } catch (err) {
        taken = duplicateIndexes(err); // another writer made these rows meanwhile: their requests go round again
      }
    }
    const again = inserts.filter((_, i) => taken.has(i)).map((i) => i.request);
    const freshIds = new Set(fresh.map((r) => r.alert._id));
    const changes = todo.flatMap((r) => (existing.has(r.alert._id) && !freshIds.has(r.alert._id) ? [{ r, d: existing.get(r.alert._id)! }] : []));
    // Due (or about to be, whatever the clocks of other replicas say), so perhaps being sent: is it?
    const maybeSending = changes.filter(({ r, d }) => !r.urgent && d.dirty && d.status !== 'suppressed' && d.nextAttemptAt.getTime() <= now.getTime() + CLOCK_SKEW_MS);
    const sending = await sendsUnderWay(ctx, maybeSending.map(({ d }) => d));
    for (const { r, d } of changes) changed(r, d, sending.has(d._id), now, writes, wakes);
    await bulkWriteInChunks(col, writes);
    for (const when of wakes) await wake(ctx, when, 'card changed');
    if (due) await wake(ctx, now, 'new card');
    todo = again;
  }
}

/**
 * A change to an alert whose card has a delivery row: mark it dirty, due no sooner than the update interval
 * allows (at once when urgent). `rev` counts changes so that a sender that read the alert before this change
 * does not mark the card clean; when no send can have read it yet (the row is dirty, no send is under way and
 * the due time stays), the next send reads the alert after this change and the row needs no write at all. A
 * send under way (`underWay`: its claim exists) is only looked for on rows already due: a sender takes a row
 * only once it is due, and nothing moves a due time later while the send runs. The write goes to `writes` and
 * the time to wake the outbox at to `wakes`.
 */
function changed(r: CardRequest, existing: DeliveryDoc, underWay: boolean, now: Date, writes: AnyBulkWriteOperation<DeliveryDoc>[], wakes: Date[]): void {
  const { ctx, alert, urgent } = r;
  if (existing.status === 'suppressed') return; // was posted once, then suppressed: nothing to do
  const interval = ctx.config.updateIntervalSeconds * 1000;
  const earliest = urgent ? now : new Date(Math.max(now.getTime(), (existing.lastSentAt?.getTime() ?? 0) + interval));
  // A failed card gets a fresh set of attempts with every new change: nothing is given up for good.
  const revive = existing.status === 'failed' ? { status: existing.ts ? ('posted' as const) : ('pending' as const), attempts: 0 } : {};
  if (existing.dirty) {
    // A send holds the claim of the row's next number (claimedUntil: earlier versions set it on the row instead).
    const sending = underWay || existing.claimedUntil !== undefined;
    if (!urgent && !sending && existing.status !== 'failed' && earliest >= existing.nextAttemptAt) return;
    writes.push({
      updateOne: { filter: { _id: alert._id }, update: { $set: { updatedAt: now, ...revive, ...(urgent ? { urgent: true } : {}) }, $inc: { rev: 1 }, $min: { nextAttemptAt: earliest } } },
    });
    if (earliest < existing.nextAttemptAt) wakes.push(earliest);
  } else {
    writes.push({ updateOne: { filter: { _id: alert._id }, update: { $set: { dirty: true, urgent, nextAttemptAt: earliest, updatedAt: now, ...revive }, $inc: { rev: 1 } } } });
    wakes.push(earliest);
  }
}
