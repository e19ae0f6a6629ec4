// Core collections and their indexes, created at start. Plugins get their own collections through the context.
import type { Db, IndexDescription } from 'mongodb';

export const CORE_COLLECTIONS = {
  /** Slack event_ids already handled (Slack retries events): _id = event_id. */
  slackEvents: 'slack_events',
} as const;

const CORE_INDEXES: Record<string, IndexDescription[]> = {
  [CORE_COLLECTIONS.slackEvents]: [{ key: { receivedAt: 1 }, name: 'receivedAt' }],
};

export function pluginCollectionName(namespace: string, name: string): string {
  if (!/^[a-z0-9_-]+$/.test(name)) throw new Error(`collection name ${JSON.stringify(name)}: use lower-case letters, digits, - and _`);
  return `plugin_${namespace.replace(/-/g, '_')}_${name}`;
}

export async function ensureIndexes(db: Db, extra: Record<string, IndexDescription[]> = {}): Promise<void> {
  for (const [collection, indexes] of Object.entries({ ...CORE_INDEXES, ...extra })) {
    if (indexes.length) await db.collection(collection).createIndexes(indexes);
  }
}
