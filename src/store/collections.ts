// Core collections and their indexes, created at start. Plugins get their own collections through the context.
import type { Collection, Db, IndexDescription } from 'mongodb';

export const CORE_COLLECTIONS = {
  /** Slack event_ids already handled (Slack retries events): _id = event_id. */
  slackEvents: 'slack_events',
  /** Interactive requests already run (replays and double clicks): _id = a hash of what makes them the same. */
  slackInteractions: 'slack_interactions',
} as const;

const CORE_INDEXES: Record<string, (IndexDescription & { name: string })[]> = {
  [CORE_COLLECTIONS.slackEvents]: [{ key: { receivedAt: 1 }, name: 'receivedAt' }],
  [CORE_COLLECTIONS.slackInteractions]: [{ key: { receivedAt: 1 }, name: 'receivedAt' }],
};

export function pluginCollectionName(namespace: string, name: string): string {
  if (!/^[a-z0-9_-]+$/.test(name)) throw new Error(`collection name ${JSON.stringify(name)}: use lower-case letters, digits, - and _`);
  return `plugin_${namespace.replace(/-/g, '_')}_${name}`;
}

export async function ensureIndexes(db: Db, extra: Record<string, (IndexDescription & { name: string })[]> = {}): Promise<void> {
  for (const [collection, indexes] of Object.entries({ ...CORE_INDEXES, ...extra })) {
    await ensureCollectionIndexes(db.collection(collection), indexes);
  }
}

/**
 * Creates the indexes a collection lacks (by name). Asking the server to create an index that already exists
 * is a no-op on MongoDB, but makes the embedded FerretDB panic on a compound index, so a restart on existing
 * data would fail: list first, create only what is missing.
 */
export async function ensureCollectionIndexes(collection: Collection<any>, indexes: (IndexDescription & { name: string })[]): Promise<void> {
  const existing = new Set<string>();
  try {
    for (const index of await collection.listIndexes().toArray()) existing.add(String(index.name));
  } catch (err) {
    // A collection that does not exist yet has no indexes (NamespaceNotFound).
    if ((err as { code?: unknown }).code !== 26) throw err;
  }
  const missing = indexes.filter((i) => !existing.has(i.name));
  if (missing.length) await collection.createIndexes(missing);
}
