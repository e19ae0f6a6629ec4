// What a case export reads, a piece at a time: the case's alerts by _id, each alert's signals in batches of
// its signal keys (by _id, which every store serves from its index), the log from a cursor. The artifacts are
// tallied as the signals pass: one entry per distinct field=value (bounded by what the alerts already list),
// never a list of the signals themselves.
import type { Collection, Db } from 'mongodb';
import { canonicalField } from '../../alerts/artifacts.js';
import { ALERTS_COLLECTION, type StoredAlert } from '../../correlation/alert-store.js';
import { normalizeValues } from '../../signals/normalize.js';
import type { Signal } from '../../signals/signal.js';
import { decodeSignal } from '../../signals/stored-form.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../../signals/store.js';
import type { CaseEvent, StoredCase } from '../model.js';
import type { CaseStore } from '../store.js';

/** Signal keys fetched per query: one `_id: {$in}` each. */
const SIGNAL_BATCH = 500;

export interface ExportedSignal {
  alertId: string;
  key: string;
  /** Absent when the signal is no longer stored (retention removed it). */
  signal?: Signal;
  receivedAt?: Date;
}

export interface ArtifactSighting {
  field: string;
  value: string;
  /** The field name the source used (before folding `user_name` to `username`). */
  sourceField: string;
  alertId: string;
  signalKey: string;
}

export interface TalliedArtifact {
  field: string;
  value: string;
  sourceFields: string[];
  alertIds: string[];
  /** Sightings: a signal held by two alerts of the case counts twice. */
  signalCount: number;
  firstSeen?: string;
  lastSeen?: string;
}

export class CaseExportReader {
  private readonly alerts: Collection<StoredAlert>;
  private readonly signals: Collection<StoredSignal>;

  constructor(db: Db, private readonly store: CaseStore, readonly subject: StoredCase) {
    this.alerts = db.collection<StoredAlert>(ALERTS_COLLECTION);
    this.signals = db.collection<StoredSignal>(SIGNALS_COLLECTION);
  }

  /** The case's alerts in the order they were linked; one missing from the store is skipped. */
  async *alertDocs(): AsyncGenerator<StoredAlert> {
    for (const id of this.subject.alertIds) {
      const alert = await this.alerts.findOne({ _id: id });
      if (alert) yield alert;
    }
  }

  /** The alert's signals in the alert's order, decoded as ingested. */
  async *signalsOf(alert: StoredAlert): AsyncGenerator<ExportedSignal> {
    for (let i = 0; i < alert.signals.length; i += SIGNAL_BATCH) {
      const keys = alert.signals.slice(i, i + SIGNAL_BATCH);
      const found = new Map<string, StoredSignal>();
      for await (const doc of this.signals.find({ _id: { $in: keys } })) found.set(doc._id, doc);
      for (const key of keys) {
        const doc = found.get(key);
        yield doc ? { alertId: alert._id, key, signal: decodeSignal(doc), receivedAt: doc.receivedAt } : { alertId: alert._id, key };
      }
    }
  }

  log(): AsyncIterable<CaseEvent> {
    return this.store.log(this.subject._id);
  }
}

/** Distinct artifacts of the exported signals, with where each was seen. */
export class ArtifactTally {
  private readonly seen = new Map<string, { field: string; value: string; sourceFields: Set<string>; alertIds: Set<string>; signalCount: number; first?: string; last?: string; firstMs?: number; lastMs?: number }>();

  /** Adds a signal's artifacts; returns its sightings (one per field and value). */
  add(s: ExportedSignal): ArtifactSighting[] {
    if (!s.signal) return [];
    const at = Date.parse(s.signal.occurredAt);
    const sightings: ArtifactSighting[] = [];
    for (const [sourceField, raw] of Object.entries(s.signal.artifacts ?? {})) {
      const field = canonicalField(sourceField);
      for (const value of normalizeValues(raw)) {
        const key = `${field}=${value}`;
        let t = this.seen.get(key);
        if (!t) this.seen.set(key, (t = { field, value, sourceFields: new Set(), alertIds: new Set(), signalCount: 0 }));
        t.sourceFields.add(sourceField);
        t.alertIds.add(s.alertId);
        t.signalCount += 1;
        if (t.firstMs === undefined || at < t.firstMs) [t.firstMs, t.first] = [at, s.signal.occurredAt];
        if (t.lastMs === undefined || at > t.lastMs) [t.lastMs, t.last] = [at, s.signal.occurredAt];
        sightings.push({ field, value, sourceField, alertId: s.alertId, signalKey: s.key });
      }
    }
    return sightings;
  }

  /** By field, then value. */
  *artifacts(): Generator<TalliedArtifact> {
    const keys = [...this.seen.keys()].sort();
    for (const key of keys) {
      const t = this.seen.get(key)!;
      yield {
        field: t.field,
        value: t.value,
        sourceFields: [...t.sourceFields].sort(),
        alertIds: [...t.alertIds],
        signalCount: t.signalCount,
        ...(t.first ? { firstSeen: t.first, lastSeen: t.last } : {}),
      };
    }
  }
}
