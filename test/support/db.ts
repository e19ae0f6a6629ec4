// Each test file gets its own database on the shared server, dropped when the file is done.
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connectDatabase, type Database } from '../../src/store/mongo.js';

export function testMongoUri(): string {
  return inject('mongoUri');
}

export function testMongoKind(): 'mongodb' | 'ferretdb' {
  return inject('mongoKind');
}

/** A fresh database name for one test file (MongoDB names are at most 63 bytes). */
export function freshDbName(label = 't'): string {
  return `${label.replace(/[^a-z0-9]/gi, '').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

/** A URI pointing at a fresh database on the test server. */
export function freshDbUri(label?: string): string {
  const base = testMongoUri();
  const url = new URL(base);
  url.pathname = `/${freshDbName(label)}`;
  return url.toString();
}

export async function openTestDatabase(label?: string): Promise<Database & { drop(): Promise<void> }> {
  const name = freshDbName(label);
  const database = await connectDatabase(testMongoUri(), { dbName: name });
  return {
    ...database,
    async drop() {
      await database.db.dropDatabase().catch(() => {});
      await database.close();
    },
  };
}
