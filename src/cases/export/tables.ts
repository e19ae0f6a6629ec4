// The CSV export: one table after the other (a zip entry or a file each), rows written as they are read.
// Order: the log first (its verdict and head go into case.csv), then the case, alerts, signals, artifacts, and
// the artifact sightings, which are found while the signals pass and spooled to a temporary file meanwhile.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { ChainChecker, type VerifyResult } from '../chain.js';
import { csvRow } from './csv.js';
import { exportedAlert } from './json.js';
import { ArtifactTally, type CaseExportReader } from './read.js';

export interface CsvTable {
  /** The file name: `case.csv`, `alerts.csv`, ... */
  name: string;
  content: AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
}

/** The tables and their columns (docs/case-log.md lists them too). */
export const CSV_TABLES = {
  log: ['seq', 'at', 'actor', 'kind', 'data', 'prev_hash', 'hash'],
  case: ['id', 'number', 'title', 'description', 'severity', 'status', 'team', 'assignee', 'tags', 'created_at', 'created_by', 'updated_at', 'resolution', 'summary', 'closed_at', 'closed_by', 'link', 'backend', 'backend_sync', 'log_entries', 'log_head', 'log_verified', 'log_problem', 'exported_at'],
  alerts: ['id', 'rule', 'rule_version', 'rule_name', 'group', 'severity', 'team', 'status', 'active', 'signal_count', 'first_seen', 'last_seen', 'link'],
  signals: ['alert_id', 'key', 'id', 'source', 'type', 'occurred_at', 'received_at', 'severity', 'title', 'tags', 'link', 'artifacts', 'extra', 'missing'],
  artifacts: ['field', 'value', 'source_fields', 'alert_ids', 'alert_count', 'signal_count', 'first_seen', 'last_seen'],
  artifact_sightings: ['field', 'value', 'source_field', 'alert_id', 'signal_key'],
} as const;

const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
const KNOWN = new Set(['id', 'source', 'type', 'occurredAt', 'receivedAt', 'severity', 'title', 'tags', 'link', 'artifacts']);

export async function* caseCsvTables(reader: CaseExportReader, link: string | undefined, exportedAt = new Date()): AsyncGenerator<CsvTable> {
  const c = reader.subject;
  let verdict: VerifyResult | undefined;
  let head = '';
  yield {
    name: 'log.csv',
    content: (async function* () {
      const checker = new ChainChecker(c._id);
      yield csvRow(CSV_TABLES.log);
      for await (const e of reader.log()) {
        checker.push(e);
        head = e.hash ?? '';
        yield csvRow([e.seq, e.at, e.actor, e.kind, json(e.data), e.prevHash, e.hash]);
      }
      verdict = checker.end(c.lastSeq);
    })(),
  };
  yield {
    name: 'case.csv',
    content: [
      csvRow(CSV_TABLES.case),
      csvRow([
        c._id, c.number, c.title, c.description, c.severity, c.status, c.team, c.assignee, c.tags.join(' '), c.createdAt, c.createdBy, c.updatedAt,
        c.resolution, c.summary, c.closedAt, c.closedBy, link, c.backend.name, c.backend.sync,
        verdict?.entries, head, verdict?.ok ?? false, verdict && !verdict.ok ? `${verdict.problem} at ${verdict.seq}: ${verdict.message}` : '', exportedAt,
      ]),
    ],
  };
  yield {
    name: 'alerts.csv',
    content: (async function* () {
      yield csvRow(CSV_TABLES.alerts);
      for await (const a of reader.alertDocs()) {
        const x = exportedAlert(a);
        yield csvRow([x.id, x.rule, x.ruleVersion, x.ruleName, json(x.group), x.severity, x.team, x.status, x.active, x.signalCount, x.firstSeen, x.lastSeen, x.link]);
      }
    })(),
  };

  const tally = new ArtifactTally();
  const dir = await mkdtemp(join(tmpdir(), 'taser-export-'));
  try {
    const spoolPath = join(dir, 'sightings.csv');
    const spool = createWriteStream(spoolPath);
    yield {
      name: 'signals.csv',
      content: (async function* () {
        yield csvRow(CSV_TABLES.signals);
        if (!spool.write(csvRow(CSV_TABLES.artifact_sightings))) await once(spool, 'drain');
        for await (const a of reader.alertDocs()) {
          for await (const s of reader.signalsOf(a)) {
            for (const x of tally.add(s)) if (!spool.write(csvRow([x.field, x.value, x.sourceField, x.alertId, x.signalKey]))) await once(spool, 'drain');
            const sig = s.signal as (Record<string, unknown> & NonNullable<typeof s.signal>) | undefined;
            if (!sig) {
              yield csvRow([s.alertId, s.key, '', '', '', '', '', '', '', '', '', '', '', true]);
              continue;
            }
            const extra = Object.fromEntries(Object.entries(sig).filter(([k]) => !KNOWN.has(k)));
            yield csvRow([
              s.alertId, s.key, sig.id, sig.source, sig.type, sig.occurredAt, s.receivedAt, sig.severity, sig.title, json(sig.tags), sig.link,
              json(sig.artifacts), Object.keys(extra).length ? json(extra) : '', false,
            ]);
          }
        }
        spool.end();
        await finished(spool);
      })(),
    };
    yield {
      name: 'artifacts.csv',
      content: (function* () {
        yield csvRow(CSV_TABLES.artifacts);
        for (const a of tally.artifacts()) yield csvRow([a.field, a.value, a.sourceFields.join(' '), a.alertIds.join(' '), a.alertIds.length, a.signalCount, a.firstSeen, a.lastSeen]);
      })(),
    };
    yield { name: 'artifact_sightings.csv', content: createReadStream(spoolPath) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
