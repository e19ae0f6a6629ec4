// `taser case verify N`, `taser case export N [--format json|csv] [--out FILE|DIR]` and
// `taser artifacts --field F [--rule R] [--since 30d] [--format json|csv]`: read on the server, from MongoDB.
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { EXPORT_FORMATS, type ExportFormat } from './model.js';
import { CaseExports } from './export/index.js';
import { artifactReportCsv, artifactReportJson, artifactReportQuery } from './export/artifact-report.js';
import { parseCaseRef } from './model.js';
import { withStore, type CaseCliIo } from './cli.js';

export interface ExportCliIo extends CaseCliIo {
  /** Where an export without --out goes (binary-safe): process.stdout. */
  stdoutStream: Writable;
}

/** Exit 0: the chain holds; 1: it does not, or no such case; 2: not a case number or id. */
export async function runCaseVerify(ref: string, options: { json?: boolean }, io: CaseCliIo): Promise<number> {
  const parsed = parseCaseRef(ref);
  if (!parsed) {
    io.stderr(`taser case verify: ${JSON.stringify(ref)} is not a case number (12, #12) or id\n`);
    return 2;
  }
  return withStore(io, async (store) => {
    const c = await store.find(parsed);
    if (!c) {
      io.stderr(`taser case verify: no case ${ref}\n`);
      return 1;
    }
    const result = await store.verify(c);
    if (options.json) io.stdout(`${JSON.stringify(result)}\n`);
    else if (result.ok) io.stdout(`Case #${c.number}: the log holds: ${result.entries} entries, head ${result.head}\n`);
    else {
      io.stdout(`Case #${c.number}: the log does NOT hold: entry ${result.seq}: ${result.problem}: ${result.message}\n`);
      if (result.expected || result.found) io.stdout(`  expected ${result.expected ?? '-'}\n  found    ${result.found ?? '-'}\n`);
    }
    return result.ok ? 0 : 1;
  });
}

const isDirectory = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

/** Exit 0: written; 1: no such case; 2: a bad argument. */
export async function runCaseExport(ref: string, options: { format?: string; out?: string }, io: ExportCliIo): Promise<number> {
  const parsed = parseCaseRef(ref);
  if (!parsed) {
    io.stderr(`taser case export: ${JSON.stringify(ref)} is not a case number (12, #12) or id\n`);
    return 2;
  }
  const format = (options.format ?? 'json') as ExportFormat;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    io.stderr(`taser case export: --format is ${EXPORT_FORMATS.join(' or ')}\n`);
    return 2;
  }
  return withStore(io, async (store, link, db) => {
    const c = await store.find(parsed);
    if (!c) {
      io.stderr(`taser case export: no case ${ref}\n`);
      return 1;
    }
    const exports = new CaseExports(db, store, link);
    const out = options.out;
    if (out && (out.endsWith('/') || (await isDirectory(out)))) {
      if (format === 'csv') {
        const files = await exports.toFolder(c, out);
        io.stderr(`taser case export: case #${c.number}: ${files.length} files in ${out}\n`);
      } else {
        const path = join(out, `case-${c.number}.json`);
        await pipeline(Readable.from(exports.stream(c, format).body), createWriteStream(path));
        io.stderr(`taser case export: case #${c.number}: ${path}\n`);
      }
      return 0;
    }
    const body = exports.stream(c, format).body;
    if (out) {
      await pipeline(Readable.from(body), createWriteStream(out));
      io.stderr(`taser case export: case #${c.number}: ${out}\n`);
    } else {
      await pipeline(Readable.from(body), io.stdoutStream, { end: false });
    }
    return 0;
  });
}

/** Exit 0: printed; 2: a bad option. */
export async function runArtifacts(options: { field?: string; rule?: string; since?: string; format?: string }, io: CaseCliIo): Promise<number> {
  const parsed = artifactReportQuery.safeParse(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    for (const i of parsed.error.issues) io.stderr(`taser artifacts: --${i.path.join('.') || 'field'}: ${i.message}\n`);
    return 2;
  }
  return withStore(io, async (store, link, db) => {
    const now = new Date();
    const counts = await new CaseExports(db, store, link).artifacts(parsed.data, now);
    if (parsed.data.format === 'json') io.stdout(`${JSON.stringify(artifactReportJson(parsed.data, counts, now))}\n`);
    else for (const line of artifactReportCsv(counts)) io.stdout(line);
    return 0;
  });
}
