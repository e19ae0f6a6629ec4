// Signals in MongoDB, idempotent on (source, id): the pair is the _id, so a redelivery is refused by the
// server itself (duplicate key) on every replica, and reported as a duplicate.
import type { Collection, Db, Filter } from 'mongodb';
import { parseEventTime, type Signal } from './signal.js';
import { normalizeValues } from './normalize.js';
import { ensureCollectionIndexes } from '../store/collections.js';
import { decodeSignal, encodeSignal } from './stored-form.js';
import { insertManyReportingDuplicates } from '../store/mongo.js';
import { keysetPage, keysetQuery } from '../store/keyset.js';
import type { Severity } from './signal.js';

export const SIGNALS_COLLECTION = 'signals';

export interface StoredSignal {
  /** `${source}/${id}`: source names cannot contain "/", so the pair is unambiguous. */
  _id: string;
  /** The signal's own fields; `raw` and extra fields are in `payload` (stored-form.ts). Read with decodeSignal. */
  signal: Signal;
  payload?: string;
  occurredAt: Date;
  receivedAt: Date;
  /** Normalized `field=value` pairs and bare values, for search by artifact value (with or without its field). */
  artifactValues: string[];
  /**
   * The ingestion that stored it: the correlation log entry naming the same batch is the one that counts it
   * (a redelivery's entry finds another batch here, and skips it).
   */
  batch?: string;
}

/** What an insert stored: the new signals, and those already stored (or twice in what was inserted). */
export interface InsertResult {
  inserted: Signal[];
  duplicates: Signal[];
}

export function signalKey(signal: Pick<Signal, 'source' | 'id'>): string {
  return `${signal.source}/${signal.id}`;
}

export function artifactValuesOf(signal: Pick<Signal, 'artifacts'>): string[] {
  const values = new Set<string>();
  for (const [field, value] of Object.entries(signal.artifacts)) {
    for (const v of normalizeValues(value)) values.add(`${field}=${v}`).add(v);
  }
  return [...values];
}

export class SignalStore {
  readonly collection: Collection<StoredSignal>;
  /** Told what each insert stored (the console's field summary counts it); must not throw or block. */
  readonly observers: ((stored: readonly Signal[]) => void)[] = [];

  constructor(private readonly db: Db) {
    this.collection = db.collection<StoredSignal>(SIGNALS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.collection, [
      // scalar_ (src/store/collections.ts): occurredAt and receivedAt are dates, _id, signal.type and
      // signal.source strings (insert() and the signal schema); the keyset order is {occurredAt: -1, _id: 1}.
      { key: { occurredAt: -1, _id: 1 }, name: 'scalar_occurredAt', replaces: 'occurredAt' },
      // An array: multi_ (ferretKey in src/store/collections.ts), the value then the keyset order on MongoDB.
      { key: { artifactValues: 1, occurredAt: -1, _id: 1 }, ferretKey: { artifactValues: 1 }, name: 'multi_artifactValues', replaces: 'artifactValues' },
      { key: { 'signal.type': 1, occurredAt: -1, _id: 1 }, name: 'scalar_type', replaces: 'type' },
      { key: { 'signal.source': 1, occurredAt: -1, _id: 1 }, name: 'scalar_source', replaces: 'source' },
    ], this.db);
  }

  /**
   * Stores signals; returns the ones that were new and the ones already stored. Throws on anything else,
   * including an error that does not say which signals were written (WriteOutcomeUnknownError): the caller
   * answers 503 and claims nothing, and the sender retries (duplicates make the retry safe).
   */
  async insert(signals: Signal[], receivedAt = new Date(), batch?: string): Promise<InsertResult> {
    return (await this.insertBatches([{ signals, batch }], receivedAt))[0]!;
  }

  /**
   * The documents of signals to store, one per signal in order (without `batch`, added by insertBatches): built
   * apart so that ingestion can make them while its correlation log entries are being written.
   */
  prepare(signals: Signal[], receivedAt = new Date()): StoredSignal[] {
    return signals.map((signal) => ({
      _id: signalKey(signal),
      ...encodeSignal(signal),
      occurredAt: new Date(parseEventTime(signal.occurredAt)!),
      receivedAt,
      artifactValues: artifactValuesOf(signal),
    }));
  }

  /**
   * Stores several ingestions' signals in one insertMany (one command for all of them); returns each one's
   * result as `insert` does, and throws for all of them alike. Across them, as within one, the first of two
   * equal (source, id) wins. `docs`, when given, are prepare()'s documents of the batch's signals.
   */
  async insertBatches(batches: { signals: Signal[]; docs?: StoredSignal[]; batch?: string }[], receivedAt = new Date()): Promise<InsertResult[]> {
    const seen = new Set<string>();
    const parts = batches.map(() => ({ unique: [] as Signal[], duplicates: [] as Signal[] }));
    const docs: StoredSignal[] = [];
    batches.forEach(({ signals, docs: prepared = this.prepare(signals, receivedAt), batch }, b) => {
      signals.forEach((signal, i) => {
        const doc = prepared[i]!;
        if (seen.has(doc._id)) {
          parts[b]!.duplicates.push(signal);
          return;
        }
        seen.add(doc._id);
        parts[b]!.unique.push(signal);
        if (batch) doc.batch = batch;
        docs.push(doc);
      });
    });
    if (!docs.length) return parts.map(({ duplicates }) => ({ inserted: [], duplicates }));
    const failed = await insertManyReportingDuplicates(this.collection, docs);
    let i = 0;
    const results = parts.map(({ unique, duplicates }) => {
      const result: InsertResult = { inserted: [], duplicates: [...duplicates] };
      for (const signal of unique) (failed.has(i++) ? result.duplicates : result.inserted).push(signal);
      return result;
    });
    const inserted = results.flatMap((r) => r.inserted);
    // After the answer: the observers' counting is not the sender's to wait for.
    if (this.observers.length) setImmediate(() => { for (const observe of this.observers) observe(inserted); });
    return results;
  }

  /** The query's filter without paging. */
  filterOf(query: Omit<SignalQuery, 'limit' | 'cursor'>): Filter<StoredSignal> {
    const filter: Filter<StoredSignal> = {};
    if (query.artifact) filter.artifactValues = query.artifact;
    if (query.type) filter['signal.type'] = query.type;
    if (query.source) filter['signal.source'] = query.source;
    if (query.severity) filter['signal.severity'] = query.severity;
    const time: Record<string, Date> = {};
    if (query.since) time.$gte = query.since;
    if (query.until) time.$lte = query.until;
    if (Object.keys(time).length) filter.occurredAt = time;
    return filter;
  }

  /** Newest first (occurredAt, then _id), one keyset page at a time, forward or back. */
  async searchStored(query: SignalQuery): Promise<{ docs: StoredSignal[]; next?: string; prev?: string }> {
    const filter = this.filterOf(query);
    const { boundary, sort } = keysetQuery<StoredSignal>('occurredAt', query, true);
    const docs = await this.collection.find(boundary ? { $and: [filter, boundary] } : filter).sort(sort).limit(query.limit + 1).toArray();
    const { page, next, prev } = keysetPage(docs, query.limit, (d) => d.occurredAt, query);
    return { docs: page, next, prev };
  }

  async search(query: SignalQuery): Promise<{ signals: Signal[]; next?: string; prev?: string }> {
    const { docs, next, prev } = await this.searchStored(query);
    return { signals: docs.map(decodeSignal), next, prev };
  }
}

export interface SignalQuery {
  /** `field=value` or a bare value, normalized like grouping values. */
  artifact?: string;
  type?: string;
  source?: string;
  severity?: Severity;
  since?: Date;
  until?: Date;
  limit: number;
  /** The `next` of the previous page (keyset: store/keyset.ts). */
  cursor?: string;
  /** The `prev` of the next page: the page before it. */
  before?: string;
}
