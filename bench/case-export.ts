// Exporting a case with 100,000 signals: JSON and CSV (zip) to a file, the time and the memory it takes.
// The history is seeded by one child process (100,000 signals stored as ingestion stores them, one alert
// holding them all, a case holding the alert); each export then runs in a fresh child of its own, so its peak
// RSS and its growth over the RSS it had before the export are the export's. Target: flat memory, the export's
// RSS growth under 100 MiB whatever the case's size. MONGODB_URI when set, else the embedded FerretDB.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { connectDatabase } from '../src/store/mongo.js';
import { SignalStore } from '../src/signals/store.js';
import { AlertStore, type StoredAlert } from '../src/correlation/alert-store.js';
import { artifactValuesOf } from '../src/signals/store.js';
import { buildCases } from '../src/cases/wire.js';
import { casesConfigSchema } from '../src/cases/config.js';
import type { ExportFormat } from '../src/cases/model.js';
import { benchDatabase, generateSignals, isMain, round, runChild } from './support.js';

const SIGNALS = 100_000;
const BATCH = 1_000;

export interface CaseExportRun {
  format: ExportFormat;
  seconds: number;
  signalsPerSec: number;
  fileMb: number;
  rssBeforeMb: number;
  peakRssMb: number;
  rssGrowthMb: number;
}

export interface CaseExportBench {
  db: 'mongodb' | 'ferretdb-embedded';
  signals: number;
  seedSeconds: number;
  runs: CaseExportRun[];
}

export async function benchCaseExport(): Promise<CaseExportBench> {
  const database = await benchDatabase('benchexport');
  try {
    const seeded = await runChild<{ seedSeconds: number }>('./case-export.ts', ['seed', database.uri]);
    const runs: CaseExportRun[] = [];
    for (const format of ['json', 'csv'] as const) runs.push(await runChild<CaseExportRun>('./case-export.ts', ['export', database.uri, format]));
    return { db: process.env.MONGODB_URI ? 'mongodb' : 'ferretdb-embedded', signals: SIGNALS, seedSeconds: seeded.seedSeconds, runs };
  } finally {
    await database.stop();
  }
}

function casesOn(db: import('mongodb').Db) {
  const config = casesConfigSchema.parse({ soc: ['soc'] });
  return buildCases({ db, alerts: new AlertStore(db), access: { isMember: async () => true }, config, logger: pino({ level: 'silent' }) });
}

async function seed(uri: string): Promise<{ seedSeconds: number }> {
  const database = await connectDatabase(uri);
  const started = performance.now();
  try {
    const signals = new SignalStore(database.db);
    const keys: string[] = [];
    const artifacts = new Set<string>();
    let batch = [];
    for (const s of generateSignals(SIGNALS, { groupKeys: 2_000, source: 'okta' })) {
      const signal = { ...s, raw: { event: 'user.session.start', client: { ip: s.artifacts.src_ip, userAgent: 'Mozilla/5.0 (bench)' }, outcome: 'SUCCESS' } };
      batch.push(signal);
      keys.push(`${signal.source}/${signal.id}`);
      for (const a of artifactValuesOf(signal)) artifacts.add(a);
      if (batch.length === BATCH) {
        await signals.insert(batch);
        batch = [];
      }
    }
    if (batch.length) await signals.insert(batch);
    const now = new Date();
    const alert: StoredAlert = {
      _id: 'b'.repeat(24), ruleId: 'bench-export', ruleVersion: 1, ruleName: 'Bench export', group: { tenant: 'bench' }, episode: 1, signals: keys, signalCount: keys.length,
      firstSeen: now, lastSeen: now, severity: 'high', severityRank: 3, status: 'open', active: true, artifacts: [...artifacts], history: [], createdAt: now, updatedAt: now,
    };
    await database.db.collection<StoredAlert>('alerts').insertOne(alert);
    const cases = casesOn(database.db);
    await cases.ensureIndexes();
    await cases.service.create({ actor: 'bench', isMember: async () => true }, { title: 'Bench export', severity: 'high', alertIds: [alert._id] });
    return { seedSeconds: round((performance.now() - started) / 1000, 1) };
  } finally {
    await database.close();
  }
}

async function exportOnce(uri: string, format: ExportFormat): Promise<CaseExportRun> {
  const database = await connectDatabase(uri);
  const dir = mkdtempSync(join(tmpdir(), 'taser-bench-export-'));
  try {
    const cases = casesOn(database.db);
    const c = (await cases.store.getByNumber(1))!;
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = performance.now();
    const path = join(dir, `export.${format}`);
    await cases.exports.toFile(c, format, path);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mb = (b: number) => round(b / 1024 / 1024, 1);
    return { format, seconds: round(seconds, 1), signalsPerSec: Math.round(SIGNALS / seconds), fileMb: mb(statSync(path).size), rssBeforeMb: mb(before), peakRssMb: mb(peak), rssGrowthMb: mb(peak - before) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.close();
  }
}

if (isMain(import.meta.url)) {
  const [mode, uri, format] = process.argv.slice(2);
  // Alone (`node bin/run-ts.js bench/case-export.ts`): the whole part; as a child: one step of it.
  console.log(JSON.stringify(mode === 'seed' ? await seed(uri!) : mode === 'export' ? await exportOnce(uri!, format as ExportFormat) : await benchCaseExport()));
  process.exit(0);
}
