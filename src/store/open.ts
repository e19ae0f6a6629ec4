// Opens the database the configuration names: MONGODB_URI, or the embedded one started on the spot.
import { join } from 'node:path';
import type { AppConfig } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import { redactUri } from '../app/logger.js';
import { connectDatabase, type Database } from './mongo.js';
import { startEmbeddedDb } from './embedded-db.js';

export interface OpenedDatabase {
  database: Database;
  /** Closes the connection, then stops the embedded database if one was started. */
  close(): Promise<void>;
}

export async function openDatabase(config: AppConfig, logger: Logger): Promise<OpenedDatabase> {
  if (config.mongodbUri) {
    const database = await connectDatabase(config.mongodbUri);
    logger.info({ uri: redactUri(config.mongodbUri) }, 'connected to MongoDB');
    return { database, close: () => database.close() };
  }
  const embedded = await startEmbeddedDb(join(config.dataDir, 'db'), { log: (line) => logger.info(line), onUnexpectedExit: (message) => logger.error(message) });
  const uri = `${embedded.uri}taser`;
  logger.info({ uri }, 'MONGODB_URI not set: using the embedded database (FerretDB over SQLite; for production use MongoDB)');
  try {
    // One SQLite writer behind the embedded server: more connections would only queue inside it.
    const database = await connectDatabase(uri, { maxPoolSize: 20 });
    return {
      database,
      close: async () => {
        await database.close().catch(() => {});
        await embedded.stop();
      },
    };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}
