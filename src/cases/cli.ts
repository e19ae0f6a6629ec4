// `taser case show N [--json]` and `taser case list [--status --team --assignee --artifact --limit] [--json]`:
// the cases as the bot stores them, read from MongoDB on the server (no Slack needed).
import type { Db } from 'mongodb';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { openDatabase } from '../store/open.js';
import type { CaseQuery } from './model.js';
import { CaseStore } from './store.js';
import { CASE_STATUSES, parseCaseRef, type CaseStatus, type StoredCase } from './model.js';
import { caseJson, caseSummaryJson, caseText, syncText } from './present.js';
import { normalizeValue } from '../signals/normalize.js';

export interface CaseCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CaseListOptions {
  status?: string;
  team?: string;
  assignee?: string;
  artifact?: string;
  limit?: string;
  json?: boolean;
}

export async function withStore<T>(io: CaseCliIo, run: (store: CaseStore, link: (c: StoredCase) => string | undefined, db: Db) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Logs go to stderr so stdout stays the answer (JSON with --json).
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', { write: (line) => io.stderr(line) });
  const opened = await openDatabase(config, logger);
  const template = config.file.cases.caseUrl;
  const link = (c: StoredCase) => c.backend.url ?? template?.replaceAll('{number}', String(c.number)).replaceAll('{id}', c._id);
  try {
    return await run(new CaseStore(opened.database.db), link, opened.database.db);
  } finally {
    await opened.close();
  }
}

/** Exit 0: shown; 1: no such case; 2: not a case number or id. */
export async function runCaseShow(ref: string, options: { json?: boolean }, io: CaseCliIo): Promise<number> {
  const parsed = parseCaseRef(ref);
  if (!parsed) {
    io.stderr(`taser case show: ${JSON.stringify(ref)} is not a case number (12, #12) or id\n`);
    return 2;
  }
  return withStore(io, async (store, link) => {
    const c = await store.find(parsed);
    if (!c) {
      io.stderr(`taser case show: no case ${ref}\n`);
      return 1;
    }
    io.stdout(options.json ? `${JSON.stringify(caseJson(c, link(c)))}\n` : caseText(c, link(c)));
    return 0;
  });
}

/** Exit 0: listed (maybe none); 2: a bad option. */
export async function runCaseList(options: CaseListOptions, io: CaseCliIo): Promise<number> {
  const limit = Number(options.limit ?? 20);
  if (options.status && !(CASE_STATUSES as readonly string[]).includes(options.status)) {
    io.stderr(`taser case list: --status is one of ${CASE_STATUSES.join(', ')}\n`);
    return 2;
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    io.stderr('taser case list: --limit is a number from 1 to 500\n');
    return 2;
  }
  let artifact: string | undefined;
  if (options.artifact) {
    const eq = options.artifact.indexOf('=');
    const value = normalizeValue(eq > 0 ? options.artifact.slice(eq + 1) : options.artifact);
    if (value === undefined) {
      io.stderr('taser case list: --artifact is field=value or value\n');
      return 2;
    }
    artifact = eq > 0 ? `${options.artifact.slice(0, eq)}=${value}` : value;
  }
  const query: CaseQuery = {
    limit,
    ...(options.status ? { status: options.status as CaseStatus } : {}),
    ...(options.team ? { team: options.team.toLowerCase() } : {}),
    ...(options.assignee ? { assignee: options.assignee } : {}),
    ...(artifact ? { artifact } : {}),
  };
  return withStore(io, async (store, link) => {
    const { cases } = await store.search(query);
    if (options.json) io.stdout(`${JSON.stringify(cases.map((c) => caseSummaryJson(c, link(c))))}\n`);
    else if (!cases.length) io.stdout('No cases.\n');
    else {
      for (const c of cases) {
        io.stdout(`#${c.number}\t${c.status}\t${c.severity}\t${c.team ?? '-'}\t${c.assignee ?? 'unassigned'}\t${c.title}\t${syncText(c)}${link(c) ? `\t${link(c)}` : ''}\n`);
      }
    }
    return 0;
  });
}
