// Core collections and their indexes, created at start. Plugins get their own collections through the context.
import type { Collection, Db, IndexDescription } from 'mongodb';

export const CORE_COLLECTIONS = {
  /** Slack event_ids already handled (Slack retries events): _id = event_id. */
  slackEvents: 'slack_events',
  /** Interactive requests already run (replays and double clicks): _id = a hash of what makes them the same. */
  slackInteractions: 'slack_interactions',
} as const;

const CORE_INDEXES: Record<string, IndexSpec[]> = {
  [CORE_COLLECTIONS.slackEvents]: [{ key: { receivedAt: 1 }, name: 'receivedAt' }],
  [CORE_COLLECTIONS.slackInteractions]: [{ key: { receivedAt: 1 }, name: 'receivedAt' }],
};

export function pluginCollectionName(namespace: string, name: string): string {
  if (!/^[a-z0-9_-]+$/.test(name)) throw new Error(`collection name ${JSON.stringify(name)}: use lower-case letters, digits, - and _`);
  return `plugin_${namespace.replace(/-/g, '_')}_${name}`;
}

export async function ensureIndexes(db: Db, extra: Record<string, IndexSpec[]> = {}): Promise<void> {
  for (const [collection, indexes] of Object.entries({ ...CORE_INDEXES, ...extra })) {
    await ensureCollectionIndexes(db.collection(collection), indexes);
  }
}

/**
 * An index taser declares. A name starting with `scalar_` is a promise, for every key path of the index, that
 * no document holds an array along that path nor an embedded document at its end, and that its non-null
 * values are all of one BSON type (strings, dates, numbers, ObjectIds or booleans). The embedded FerretDB
 * then answers filters and sorts on those paths from the index (src/store/embedded/20-sqlite-index-pushdown.patch),
 * and counts whose whole filter it answers so by SQL COUNT(*) (50-sqlite-count-pushdown.patch); a document that
 * broke the promise could be missed, or counted wrongly, by such a query, so check the writers before naming an
 * index so. MongoDB ignores the prefix.
 */
export type IndexSpec = IndexDescription & {
  name: string;
  /** An older name of this index: dropped at start once this one exists, so a database does not keep both. */
  replaces?: string;
  /**
   * The key on FerretDB, where it differs. A name starting with `multi_` and ONE key path (no dot) makes a
   * multikey index on the embedded FerretDB (src/store/embedded/40-sqlite-multikey.patch): equality and $in on an
   * array path are then answered from it, where a compound key is a plain index FerretDB never uses. For counts
   * answered by SQL alone (50-sqlite-count-pushdown.patch), the path must hold scalars of one type (or arrays of
   * them), never embedded documents. MongoDB keeps the compound key (the value, then the sort order), which
   * serves the sort too.
   */
  ferretKey?: IndexDescription['key'];
};

const ferretServers = new WeakMap<Db, Promise<boolean>>();

/** Whether the server is FerretDB (its buildInfo says ferretdbVersion), asked once per Db. */
export function isFerretDB(db: Db): Promise<boolean> {
  let answer = ferretServers.get(db);
  if (!answer) {
    answer = db.admin().command({ buildInfo: 1 }).then((info) => typeof info.ferretdbVersion === 'string');
    ferretServers.set(db, answer);
  }
  return answer;
}

/** SQLite's "database is locked", as the embedded FerretDB reports it (InternalError, the message names it). */
export function isSqliteBusy(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.includes('SQLITE_BUSY');
}

/**
 * Runs `fn` again, after 250 ms, 500 ms, 1 s..., while it fails with SQLITE_BUSY, `attempts` times in all. On
 * the embedded database a schema change that reads and then writes cannot wait for SQLite's write lock when a
 * checkpoint holds it (the background checkpointer's RESTART, up to 20 ms a reader): it fails at once. Seen
 * once in the bench, creating the signals' indexes right after loading 100,000 of them.
 */
export async function retryOnSqliteBusy<T>(fn: () => Promise<T>, attempts = 5, firstDelayMs = 250): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isSqliteBusy(err) || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Creates the indexes a collection lacks (by name). Asking the server to create an index that already exists
 * is a no-op on MongoDB, but makes the embedded FerretDB panic on a compound index, so a restart on existing
 * data would fail: list first, drop the names replaced, create only what is missing. Again from the listing
 * when the embedded database answers SQLITE_BUSY (retryOnSqliteBusy).
 */
export function ensureCollectionIndexes(collection: Collection<any>, indexes: IndexSpec[], db?: Db): Promise<void> {
  return retryOnSqliteBusy(() => ensureIndexesOnce(collection, indexes, db));
}

async function ensureIndexesOnce(collection: Collection<any>, indexes: IndexSpec[], db?: Db): Promise<void> {
  if (indexes.some((i) => i.ferretKey) && !db) throw new Error(`indexes of ${collection.collectionName}: a ferretKey needs the Db to tell the server`);
  const ferret = db && indexes.some((i) => i.ferretKey) ? await isFerretDB(db) : false;
  const existing = new Set<string>();
  try {
    for (const index of await collection.listIndexes().toArray()) existing.add(String(index.name));
  } catch (err) {
    // A collection that does not exist yet has no indexes (NamespaceNotFound).
    if ((err as { code?: unknown }).code !== 26) throw err;
  }
  // The old name first: MongoDB refuses a second index on the same key under another name.
  for (const old of indexes.map((i) => i.replaces).filter((name): name is string => !!name && existing.has(name))) {
    await collection.dropIndex(old).catch((err: unknown) => {
      if ((err as { code?: unknown }).code !== 27) throw err; // IndexNotFound: another replica dropped it first
    });
  }
  const missing = indexes
    .filter((i) => !existing.has(i.name))
    .map(({ replaces: _, ferretKey, ...description }) => (ferret && ferretKey ? { ...description, key: ferretKey } : description));
  if (missing.length) await collection.createIndexes(missing);
}
