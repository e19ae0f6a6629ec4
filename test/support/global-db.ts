// Vitest global setup: one real MongoDB wire-protocol server for the whole run. MONGODB_URI wins; otherwise
// the embedded FerretDB is started on a free 127.0.0.1 port with a temporary SQLite directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedDb } from '../../src/store/embedded-db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    /** "mongodb" when MONGODB_URI pointed at a server, "ferretdb" for the embedded one. */
    mongoKind: 'mongodb' | 'ferretdb';
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.MONGODB_URI;
  if (fromEnv) {
    project.provide('mongoUri', fromEnv);
    project.provide('mongoKind', 'mongodb');
    return async () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'taser-test-db-'));
  const db = await startEmbeddedDb(dir, { log: (line) => console.log(`[test db] ${line}`) });
  project.provide('mongoUri', db.uri);
  project.provide('mongoKind', 'ferretdb');
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
