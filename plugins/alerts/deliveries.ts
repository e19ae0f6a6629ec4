// Delivery state of each alert card, keyed by alert id, in the plugin's own collection: the outbox. A request
// (new alert, appended signals, a person's action) marks the card `dirty`; the outbox job sends what is due.
// `rev` counts requests' writes, so a sender clears `dirty` only if none came while it was talking to Slack;
// `claims` numbers the sends, each won through a unique _id in the `claims` collection (claims.ts).
import type { Collection } from 'mongodb';
import type { PluginContext } from '../../src/plugins/types.js';
import type { AlertsConfig } from './config.js';
import { ensureCollectionIndexes, type IndexSpec } from '../../src/store/collections.js';

export const DELIVERY_STATUSES = ['pending', 'posted', 'failed', 'suppressed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryDoc {
  _id: string; // alert id
  /** pending: not in Slack yet; posted: the card is there; failed: gave up; suppressed: not to be posted. */
  status: DeliveryStatus;
  channel?: string;
  ts?: string;
  /** Slack is behind the alert: a post (no ts) or an update is due at nextAttemptAt. */
  dirty: boolean;
  /** A person acted: the next send ignores the update interval. */
  urgent: boolean;
  /** Writes to the row by requests: a sender clears `dirty` only if it has not moved since its claim. */
  rev: number;
  /** The number of the last claim whose send was recorded (claims.ts). */
  claims: number;
  /** Set while sending by earlier versions (now the claim record alone says so); still honoured. */
  claimedUntil?: Date;
  attempts: number;
  nextAttemptAt: Date;
  lastError?: string;
  lastSentAt?: Date;
  /** A first post failed in a way that may have posted it (timeout, 5xx): look in the channel before posting again. */
  postingSince?: Date;
  /** Why a card is not posted (below threshold, snoozed, no channel). */
  suppressed?: { reason: string; detail: string };
  createdAt: Date;
  updatedAt: Date;
}

export const deliveries = (ctx: PluginContext<AlertsConfig>): Collection<DeliveryDoc> => ctx.collection<DeliveryDoc>('deliveries');

// `scalar_`: every delivery holds one boolean `dirty`, one Date `nextAttemptAt` and one string `status`, so the
// embedded database answers the outbox's due sweep and the per-status counts from these indexes (IndexSpec).
const INDEXES: IndexSpec[] = [
  { key: { dirty: 1, nextAttemptAt: 1 }, name: 'scalar_due', replaces: 'due' },
  { key: { status: 1 }, name: 'scalar_status', replaces: 'status' },
];

export async function ensureDeliveryIndexes(ctx: PluginContext<AlertsConfig>): Promise<void> {
  await ensureCollectionIndexes(deliveries(ctx), INDEXES);
}

/** Backoff after the n-th failed attempt (1-based): base, 2×base, 4×base... at most five minutes. */
export function backoffMs(config: AlertsConfig, attempt: number): number {
  return Math.min(300_000, config.retryBaseSeconds * 1000 * 2 ** Math.max(0, attempt - 1));
}

export function permalink(doc: Pick<DeliveryDoc, 'channel' | 'ts'>): string | undefined {
  return doc.channel && doc.ts ? `https://slack.com/archives/${doc.channel}/p${doc.ts.replace('.', '')}` : undefined;
}
