// The JSON export: one document, written as it is read (a string per alert, signal, artifact and log entry),
// so its size does not become memory. The log comes last, with the verdict of the chain and its head.
import type { StoredAlert } from '../../correlation/alert-store.js';
import { alertJson } from '../../correlation/api-schemas.js';
import { ChainChecker } from '../chain.js';
import type { CaseEvent } from '../model.js';
import { caseJson } from '../present.js';
import { ArtifactTally, type CaseExportReader } from './read.js';

export const EXPORT_FORMAT = 'taser-case-export/1';

/** An alert without its signal keys (the signals section lists them). */
export function exportedAlert(a: StoredAlert) {
  const { signals: _keys, history, ...rest } = alertJson(a);
  return { ...rest, history: history.map(({ signals, ...h }) => ({ ...h, ...(signals ? { signalCount: signals.length } : {}) })) };
}

export function exportedEvent(e: CaseEvent) {
  return { seq: e.seq, at: e.at.toISOString(), actor: e.actor, kind: e.kind, data: e.data, prevHash: e.prevHash ?? null, hash: e.hash ?? null };
}

export async function* caseJsonExport(reader: CaseExportReader, link: string | undefined, exportedAt = new Date()): AsyncGenerator<string> {
  const c = reader.subject;
  yield `{"format":${JSON.stringify(EXPORT_FORMAT)},"exportedAt":${JSON.stringify(exportedAt.toISOString())},"case":${JSON.stringify(caseJson(c, link))}`;
  const tally = new ArtifactTally();
  yield ',"alerts":[';
  let first = true;
  for await (const alert of reader.alertDocs()) {
    yield `${first ? '' : ','}${JSON.stringify(exportedAlert(alert))}`;
    first = false;
  }
  yield '],"signals":[';
  first = true;
  for await (const alert of reader.alertDocs()) {
    for await (const s of reader.signalsOf(alert)) {
      tally.add(s);
      const out = s.signal ? { alertId: s.alertId, key: s.key, receivedAt: s.receivedAt?.toISOString(), signal: s.signal } : { alertId: s.alertId, key: s.key, missing: true };
      yield `${first ? '' : ','}${JSON.stringify(out)}`;
      first = false;
    }
  }
  yield '],"artifacts":[';
  first = true;
  for (const a of tally.artifacts()) {
    yield `${first ? '' : ','}${JSON.stringify(a)}`;
    first = false;
  }
  yield '],"log":{"entries":[';
  const checker = new ChainChecker(c._id);
  first = true;
  let head: string | null = null;
  for await (const e of reader.log()) {
    checker.push(e);
    head = e.hash ?? null;
    yield `${first ? '' : ','}${JSON.stringify(exportedEvent(e))}`;
    first = false;
  }
  const verdict = checker.end(c.lastSeq);
  // The head is the last exported entry's hash, verified or not: the verdict says whether the chain holds.
  yield `],"verify":${JSON.stringify(verdict)},"head":${JSON.stringify(head)}}}\n`;
}
