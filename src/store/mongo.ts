// MongoDB connection: connect and ping before anything else starts, with a clear message when the server
// cannot be reached (never an unhandled rejection or a hang).
import { MongoBulkWriteError, MongoClient, type Collection, type Db, type OptionalUnlessRequiredId } from 'mongodb';
import { redactUri } from '../app/logger.js';

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

export interface Database {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
  /** True when the server answers a ping within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
}

/** The database named in the URI's path, or "taser". */
export function databaseName(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : 'taser';
}

/**
 * Driver settings that keep a stalled, dead or restarted server from wedging taser; a setting given in the URI
 * (e.g. ?socketTimeoutMS=...) wins. The pool is bounded, a request waits for a connection at most
 * waitQueueTimeoutMS and for a reply at most socketTimeoutMS, after which the connection is dropped and the pool
 * refills from a server that answers again: no restart of taser is needed.
 */
export const POOL_DEFAULTS = {
  /** MongoDB's default is 100; what taser runs at once (webhooks, jobs, Slack) needs far fewer. */
  maxPoolSize: 50,
  /** Waiting for a free connection: longer means the server is saturated, and the caller should fail (503). */
  waitQueueTimeoutMS: 15_000,
  /** A reply that takes longer than this is a stalled server; the largest legitimate operation (a retention batch) is far shorter. */
  socketTimeoutMS: 60_000,
  /** How often the driver checks a server it lost, so it finds a restarted one quickly. */
  heartbeatFrequencyMS: 2_000,
} as const;

function uriOption(uri: string, name: string): number | undefined {
  const value = Number(new RegExp(`[?&]${name}=(\\d+)`, 'i').exec(uri)?.[1]);
  return Number.isFinite(value) ? value : undefined;
}

export async function connectDatabase(uri: string, options: { dbName?: string; timeoutMs?: number; maxPoolSize?: number } = {}): Promise<Database> {
  // A serverSelectionTimeoutMS in the URI wins over the default.
  const timeoutMs = options.timeoutMs ?? uriOption(uri, 'serverSelectionTimeoutMS') ?? 10_000;
  const pool = { ...POOL_DEFAULTS, ...(options.maxPoolSize ? { maxPoolSize: options.maxPoolSize } : {}) };
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    appName: 'taser',
    ...Object.fromEntries(Object.entries(pool).filter(([name]) => uriOption(uri, name) === undefined)),
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (err) {
    await client.close().catch(() => {});
    throw new DatabaseUnavailableError(
      `cannot reach MongoDB at ${redactUri(uri)} within ${timeoutMs / 1000} s: ${(err as Error).message}. ` +
        'Check MONGODB_URI and that the server is running (or unset MONGODB_URI to use the embedded database).',
    );
  }
  const db = client.db(options.dbName ?? databaseName(uri));
  return {
    client,
    db,
    close: () => client.close(),
    async ping(pingTimeoutMs = 2000) {
      try {
        await Promise.race([
          db.command({ ping: 1 }),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), pingTimeoutMs).unref()),
        ]);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Duplicate key: the unique-index arbiter said "someone else already did this". */
export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/**
 * The database did not say, document by document, what became of a write (connection interrupted, server
 * stopped, timeout, write concern): some documents may be stored and some not. Nothing may be claimed as
 * stored; the sender retries, and idempotent keys make the retry safe.
 */
export class WriteOutcomeUnknownError extends Error {
  override readonly name = 'WriteOutcomeUnknownError';
}

/**
 * insertMany, unordered; returns the indexes of the documents refused as duplicates (the unique-index arbiter),
 * every other document being stored. Anything else throws, and whatever it throws means "claim nothing": the
 * server's own error when it answered for every document (e.g. a document it refuses), WriteOutcomeUnknownError
 * when it did not (a MongoBulkWriteError without per-document errors is the driver's wrapper for a network
 * error or timeout, and says nothing about which documents were written).
 */
export async function insertManyReportingDuplicates<T extends { _id: unknown }>(collection: Collection<T>, docs: OptionalUnlessRequiredId<T>[]): Promise<Set<number>> {
  if (!docs.length) return new Set();
  try {
    const result = await collection.insertMany(docs, { ordered: false });
    if (result.insertedCount !== docs.length) throw new WriteOutcomeUnknownError(`insertMany reported ${result.insertedCount} of ${docs.length} documents inserted`);
    return new Set();
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (!writeErrors.length || err.insertedCount + writeErrors.length !== docs.length) {
      throw new WriteOutcomeUnknownError(`insertMany failed without an answer for every document (${err.insertedCount} inserted, ${writeErrors.length} refused of ${docs.length}): ${err.message}`, { cause: err });
    }
    if (writeErrors.some((e) => e.code !== 11000)) throw err;
    return new Set(writeErrors.map((e) => e.index));
  }
}
