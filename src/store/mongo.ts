// MongoDB connection: connect and ping before anything else starts, with a clear message when the server
// cannot be reached (never an unhandled rejection or a hang).
import { MongoClient, type Db } from 'mongodb';
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

export async function connectDatabase(uri: string, options: { dbName?: string; timeoutMs?: number } = {}): Promise<Database> {
  // A serverSelectionTimeoutMS in the URI wins over the default.
  const fromUri = Number(/[?&]serverSelectionTimeoutMS=(\d+)/i.exec(uri)?.[1]);
  const timeoutMs = options.timeoutMs ?? (Number.isFinite(fromUri) ? fromUri : 10_000);
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    appName: 'taser',
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
