// Whole-case exports: JSON (one document) or CSV (a zip of one file per table, or the files in a folder),
// streamed from cursors to wherever they go (an HTTP response, a file, a Slack upload), so a case with
// 100,000 signals exports in flat memory. docs/case-log.md describes the contents.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from 'mongodb';
import type { ExportFile, ExportFormat, StoredCase } from '../model.js';
import type { CaseStore } from '../store.js';
import { countArtifacts, type ArtifactCount, type ArtifactReportQuery } from './artifact-report.js';
import { caseJsonExport } from './json.js';
import { CaseExportReader } from './read.js';
import { caseCsvTables } from './tables.js';
import { ZipWriter } from './zip.js';


export interface ExportBody {
  filename: string;
  contentType: string;
  body: AsyncIterable<string | Buffer>;
}

async function* zipOf(reader: CaseExportReader, link: string | undefined, prefix: string): AsyncGenerator<Buffer> {
  const zip = new ZipWriter();
  for await (const table of caseCsvTables(reader, link)) yield* zip.entry(`${prefix}/${table.name}`, table.content);
  yield* zip.finish();
}

/** An export written to a temporary file (its size known, e.g. for an upload); `remove()` deletes it. */

export class CaseExports {
  constructor(
    private readonly db: Db,
    private readonly store: CaseStore,
    private readonly link: (c: StoredCase) => string | undefined,
  ) {}

  /** The export as a stream of bytes: `case-12.json`, or `case-12-csv.zip` holding `case-12/<table>.csv`. */
  stream(c: StoredCase, format: ExportFormat): ExportBody {
    const reader = new CaseExportReader(this.db, this.store, c);
    if (format === 'json') return { filename: `case-${c.number}.json`, contentType: 'application/json; charset=utf-8', body: caseJsonExport(reader, this.link(c)) };
    return { filename: `case-${c.number}-csv.zip`, contentType: 'application/zip', body: zipOf(reader, this.link(c), `case-${c.number}`) };
  }

  /** The cross-case artifact report (artifact-report.ts). */
  artifacts(q: Pick<ArtifactReportQuery, 'field' | 'rule' | 'since'>, now = new Date()): Promise<ArtifactCount[]> {
    return countArtifacts(this.db, q, now);
  }

  /** Writes the export to a file (back-pressure from the disk). */
  async toFile(c: StoredCase, format: ExportFormat, path: string): Promise<void> {
    await pipeline(Readable.from(this.stream(c, format).body), createWriteStream(path));
  }

  /** Writes the export to a temporary file of its own. */
  async toTempFile(c: StoredCase, format: ExportFormat): Promise<ExportFile> {
    const dir = await mkdtemp(join(tmpdir(), 'taser-case-export-'));
    const remove = () => rm(dir, { recursive: true, force: true });
    try {
      const { filename, body } = this.stream(c, format);
      const path = join(dir, filename);
      await pipeline(Readable.from(body), createWriteStream(path));
      return { path, filename, bytes: (await stat(path)).size, remove };
    } catch (err) {
      await remove();
      throw err;
    }
  }

  /** One CSV file per table in `dir` (created if missing); returns the files written. */
  async toFolder(c: StoredCase, dir: string): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    for await (const table of caseCsvTables(new CaseExportReader(this.db, this.store, c), this.link(c))) {
      const path = join(dir, table.name);
      await pipeline(Readable.from(table.content), createWriteStream(path));
      written.push(path);
    }
    return written;
  }
}
