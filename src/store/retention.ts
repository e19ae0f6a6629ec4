// Retention: signals (with their raw payloads), processed Slack event ids and interactions, the Positron cache and audit,
// closed alerts, and the console's simulator jobs (their reports and cancel requests) are deleted once older than their configured period (config `retention:`). Where the server
// has TTL indexes (MongoDB) a TTL index does it; where it has not (the embedded FerretDB answers code 238) the
// retention job deletes in batches by _id, finding them by the age field through a scalar_ index (the embedded
// database serves a filter from an index only for _id and scalar_ indexes: src/store/collections.ts).
import { z } from 'zod';
import type { Collection, Db, Document, Filter } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { JobRunner } from '../jobs/scheduler.js';
import { parseDuration } from '../correlation/duration.js';
import { ensureCollectionIndexes, type IndexSpec } from './collections.js';

const DAY = 86_400_000;

/** A duration ("30d", "12 hours", ms) or false: kept forever. */
const period = z.union([z.literal(false), z.union([z.string(), z.number()])]).transform((value, ctx) => {
  if (value === false) return false as const;
  const ms = parseDuration(value);
  if (typeof ms === 'object') {
    ctx.addIssue({ code: 'custom', message: ms.error });
    return z.NEVER;
  }
  return ms;
});

export const RETENTION_DEFAULTS = {
  signals: 30 * DAY,
  slackEvents: 7 * DAY,
  slackInteractions: 1 * DAY,
  positronCache: 1 * DAY,
  positronAudit: 365 * DAY,
  closedAlerts: 180 * DAY,
  simulations: 7 * DAY,
  /** How often the retention job runs where the server has no TTL indexes. */
  every: 3_600_000,
} as const;

export const retentionConfigSchema = z
  .strictObject({
    /** Signals (the stored signal, its raw payload included), by the time taser received them. */
    signals: period.default(RETENTION_DEFAULTS.signals),
    /** Slack event ids kept to drop Slack's retries; Slack retries for minutes, not days. */
    slackEvents: period.default(RETENTION_DEFAULTS.slackEvents),
    /** Which button clicks and modal submissions already ran (a replay runs nothing); each counts for 5 minutes. */
    slackInteractions: period.default(RETENTION_DEFAULTS.slackInteractions),
    /** Cached Positron answers, counted from the moment they expired. */
    positronCache: period.default(RETENTION_DEFAULTS.positronCache),
    /** Who asked Positron what, by the time of the question. */
    positronAudit: period.default(RETENTION_DEFAULTS.positronAudit),
    /** Alerts closed by a person and no longer active, by their last change. */
    closedAlerts: period.default(RETENTION_DEFAULTS.closedAlerts),
    /** The console's simulator jobs (report and sample cards inside) and their cancel requests, by their last heartbeat. */
    simulations: period.default(RETENTION_DEFAULTS.simulations),
    every: z
      .union([z.string(), z.number()])
      .default(RETENTION_DEFAULTS.every)
      .transform((value, ctx) => {
        const ms = parseDuration(value);
        if (typeof ms === 'object') {
          ctx.addIssue({ code: 'custom', message: ms.error });
          return z.NEVER;
        }
        return ms;
      }),
  })
  .default(() => ({ ...RETENTION_DEFAULTS }));
export type RetentionConfig = z.infer<typeof retentionConfigSchema>;

type RetainedKind = Exclude<keyof RetentionConfig, 'every'>;

interface RetentionTarget {
  kind: RetainedKind;
  collection: string;
  /** The Date field whose age counts. */
  field: string;
  /** Only documents that match this expire (a TTL index's partialFilterExpression: equalities only). */
  only?: Document;
}

/** What expires, where. Collection names are repeated from their stores, which own them (checked by a test). */
export const RETENTION_TARGETS: readonly RetentionTarget[] = [
  { kind: 'signals', collection: 'signals', field: 'receivedAt' },
  { kind: 'slackEvents', collection: 'slack_events', field: 'receivedAt' },
  { kind: 'slackInteractions', collection: 'slack_interactions', field: 'receivedAt' },
  { kind: 'positronCache', collection: 'positron_cache', field: 'expiresAt' },
  { kind: 'positronAudit', collection: 'positron_audit', field: 'at' },
  { kind: 'closedAlerts', collection: 'alerts', field: 'updatedAt', only: { status: 'closed', active: false } },
  // A running job writes its heartbeat every second, so it never expires while it runs; a lost one does.
  { kind: 'simulations', collection: 'rule_simulations', field: 'heartbeatAt' },
  { kind: 'simulations', collection: 'rule_simulation_cancels', field: 'at' },
];

const TTL_INDEX_PREFIX = 'retention_';
const NOT_IMPLEMENTED = 238; // FerretDB: TTL and partial indexes
const INDEX_OPTIONS_CONFLICT = [85, 86]; // MongoDB: an index on the same key with other options

export interface RetentionPlan {
  /** Kinds a TTL index expires. */
  ttl: RetainedKind[];
  /** Kinds the retention job deletes. */
  job: RetainedKind[];
  /** Kinds kept forever (period false). */
  kept: RetainedKind[];
}

const ttlIndexName = (t: RetentionTarget) => `${TTL_INDEX_PREFIX}${t.field}`;

/**
 * Where the job deletes (no TTL indexes), the index its filter is answered from: the `only` equalities, then the
 * age field. scalar_ (src/store/collections.ts): every target's field is a date and its `only` keys hold strings and
 * booleans. `_id` last keeps the key apart from an index on the field alone (e.g. slack_events' receivedAt).
 */
function jobIndex(t: RetentionTarget): IndexSpec {
  const only = Object.fromEntries(Object.keys(t.only ?? {}).map((k) => [k, 1 as const]));
  return { key: { ...only, [t.field]: 1, _id: 1 }, name: `scalar_retention_${t.field}` };
}

/** Creates, updates or drops each target's TTL index; says which targets the job must handle instead. */
export async function ensureRetention(db: Db, config: RetentionConfig, logger: Logger): Promise<RetentionPlan> {
  const plan: RetentionPlan = { ttl: [], job: [], kept: [] };
  // A kind may span several collections (simulations): listed once.
  const add = (list: RetainedKind[], kind: RetainedKind) => void (list.includes(kind) || list.push(kind));
  let ttlUnsupported = false;
  for (const target of RETENTION_TARGETS) {
    const periodMs = config[target.kind];
    const coll = db.collection(target.collection);
    const existing = await listIndexes(coll);
    const ours = existing.find((i) => i.name === ttlIndexName(target));
    if (periodMs === false) {
      if (ours) await coll.dropIndex(ours.name);
      add(plan.kept, target.kind);
      continue;
    }
    const seconds = Math.max(1, Math.round(periodMs / 1000));
    if (ttlUnsupported) {
      add(plan.job, target.kind);
      continue;
    }
    try {
      if (ours && ours.expireAfterSeconds === seconds) {
        // already as configured
      } else if (ours) {
        await db.command({ collMod: target.collection, index: { name: ours.name, expireAfterSeconds: seconds } });
      } else {
        await createTtlIndex(db, coll, target, seconds);
      }
      add(plan.ttl, target.kind);
    } catch (err) {
      if ((err as { code?: unknown }).code !== NOT_IMPLEMENTED) throw err;
      ttlUnsupported = true;
      add(plan.job, target.kind);
    }
  }
  for (const target of RETENTION_TARGETS.filter((t) => plan.job.includes(t.kind))) {
    await ensureCollectionIndexes(db.collection(target.collection), [jobIndex(target)]);
  }
  logger.info(plan, plan.job.length ? 'retention: the server has no TTL indexes; the retention job deletes expired documents' : 'retention: TTL indexes');
  return plan;
}

async function listIndexes(coll: Collection): Promise<Document[]> {
  try {
    return await coll.listIndexes().toArray();
  } catch (err) {
    if ((err as { code?: unknown }).code === 26) return []; // the collection does not exist yet
    throw err;
  }
}

async function createTtlIndex(db: Db, coll: Collection, target: RetentionTarget, seconds: number): Promise<void> {
  try {
    await coll.createIndex(
      { [target.field]: 1 },
      { name: ttlIndexName(target), expireAfterSeconds: seconds, ...(target.only ? { partialFilterExpression: target.only } : {}) },
    );
  } catch (err) {
    // An index on the same key already exists (e.g. slack_events' receivedAt): MongoDB turns it into a TTL index.
    if (!INDEX_OPTIONS_CONFLICT.includes((err as { code?: number }).code ?? 0) || target.only) throw err;
    await db.command({ collMod: target.collection, index: { keyPattern: { [target.field]: 1 }, expireAfterSeconds: seconds } });
  }
}

export const RETENTION_JOB = 'core.retention';
const BATCH = 500;

/**
 * Deletes what has expired for the given kinds, BATCH documents at a time: find their _id (on the embedded
 * database, a range of the jobIndex), then deleteMany by _id (one SQL statement there: patch 97). The kinds take
 * turns, a batch each, so a large backlog of one (signals) does not hold the others back. A run stops once nothing
 * has expired or after `maxRunMs` (default `retention.every`: one period's work, the next run goes on), always
 * after at least one turn.
 * Returns how many documents each kind lost.
 */
export async function deleteExpired(
  db: Db,
  config: RetentionConfig,
  kinds: RetainedKind[],
  options: { now?: Date; touch?: () => Promise<void>; batch?: number; maxRunMs?: number } = {},
): Promise<Partial<Record<RetainedKind, number>>> {
  const now = options.now ?? new Date();
  const batch = options.batch ?? BATCH;
  const deadline = Date.now() + (options.maxRunMs ?? config.every);
  const deleted: Partial<Record<RetainedKind, number>> = {};
  let pending = RETENTION_TARGETS.flatMap((target) => {
    const periodMs = config[target.kind];
    if (!kinds.includes(target.kind) || periodMs === false) return [];
    const filter: Filter<Document> = { ...target.only, [target.field]: { $lt: new Date(now.getTime() - periodMs) } };
    return [{ target, coll: db.collection<Document>(target.collection), filter }];
  });
  do {
    const next: typeof pending = [];
    for (const work of pending) {
      const ids = (await work.coll.find(work.filter, { projection: { _id: 1 } }).limit(batch).toArray()).map((d) => d._id);
      if (!ids.length) continue;
      // The filter again: a document changed since it was found (an alert reopened) is not deleted.
      const result = await work.coll.deleteMany({ ...work.filter, _id: { $in: ids } });
      if (result.deletedCount) deleted[work.target.kind] = (deleted[work.target.kind] ?? 0) + result.deletedCount;
      await options.touch?.();
      if (ids.length === batch) next.push(work);
    }
    pending = next;
  } while (pending.length && Date.now() < deadline);
  return deleted;
}

/** Sets up retention at start: TTL indexes where possible, the job for the rest (only if there is a rest). */
export async function scheduleRetention(db: Db, jobs: JobRunner, config: RetentionConfig, logger: Logger): Promise<RetentionPlan> {
  const plan = await ensureRetention(db, config, logger);
  jobs.define(
    RETENTION_JOB,
    async (_data, job) => {
      const deleted = await deleteExpired(db, config, plan.job, { touch: job.touch });
      if (Object.keys(deleted).length) logger.info({ deleted }, 'retention: expired documents deleted');
    },
    { lockLifetimeMs: 30 * 60_000, concurrency: 1 },
  );
  if (plan.job.length) await jobs.port().every({ name: RETENTION_JOB }, `${Math.round(config.every / 1000)} seconds`, undefined);
  else await jobs.port().cancel({ name: RETENTION_JOB });
  return plan;
}
