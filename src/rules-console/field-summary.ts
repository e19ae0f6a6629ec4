// What stored signals actually contain, for the console's field and value pickers: signal types, sources,
// artifact fields and their frequent values per UTC day of the signals' event time.
//
// Why a summary kept at ingestion and not a sample of stored signals: on the embedded FerretDB only `_id`
// lookups use an index, so "the newest N signals of the period" scans the whole signals collection (about
// 1 ms a document: minutes at 100,000). Here each replica counts the signals it stores in memory (no database
// work on the ingestion path) and adds its counts every few seconds to one document per day, `_id` the day,
// with one `$inc` update each; the picker reads the period's days by `_id`. Bounded: at most
// VALUES_PER_FLUSH values per field per flush, and at most MAX_VALUE_KEYS distinct values per field and day
// from one replica; the counts of the rest go to the field's total only. Approximate by design (on FerretDB
// two replicas' concurrent `$inc` of one day may lose an increment; MongoDB applies both).
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { Signal } from '../signals/signal.js';
import { parseEventTime } from '../signals/signal.js';
import { normalizeTypeName, normalizeValues } from '../signals/normalize.js';

export const FIELD_SUMMARY_COLLECTION = 'signal_field_summary';

const VALUES_PER_FLUSH = 50;
const PENDING_VALUES_PER_FIELD = 1_000;
const MAX_VALUE_KEYS = 200;
const FLUSH_MS = 5_000;
const MAX_DAYS = 400;

interface DayDoc {
  _id: string;
  n?: number;
  types?: Record<string, number>;
  sources?: Record<string, number>;
  fields?: Record<string, number>;
  values?: Record<string, Record<string, number>>;
}

interface Pending {
  n: number;
  types: Map<string, number>;
  sources: Map<string, number>;
  fields: Map<string, number>;
  values: Map<string, Map<string, number>>;
}

export interface Counted {
  value: string;
  count: number;
}

export interface FieldsReport {
  since: string;
  until: string;
  /** Signals counted in the period's days. */
  signals: number;
  types: Counted[];
  sources: Counted[];
  fields: { field: string; count: number; values: Counted[] }[];
}

// Document keys cannot hold "." or start with "$": both are percent-encoded, and "%" itself.
const encodeKey = (k: string) => k.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
const decodeKey = (k: string) => k.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class FieldSummary {
  readonly collection: Collection<DayDoc>;
  private pending = new Map<string, Pending>();
  /** Per day and field, the value keys this replica has written (capped at MAX_VALUE_KEYS). */
  private readonly written = new Map<string, Map<string, Set<string>>>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    db: Db,
    private readonly logger: Logger,
  ) {
    this.collection = db.collection<DayDoc>(FIELD_SUMMARY_COLLECTION);
  }

  /** Counts stored signals (called with what an insert stored); memory only. */
  observe(signals: readonly Signal[]): void {
    for (const s of signals) {
      const t = parseEventTime(s.occurredAt);
      if (t === undefined) continue;
      const day = dayOf(t);
      let p = this.pending.get(day);
      if (!p) this.pending.set(day, (p = { n: 0, types: new Map(), sources: new Map(), fields: new Map(), values: new Map() }));
      p.n++;
      bump(p.types, normalizeTypeName(s.type));
      bump(p.sources, s.source.toLowerCase());
      for (const [field, raw] of Object.entries(s.artifacts)) {
        const values = normalizeValues(raw);
        if (!values.length) continue;
        bump(p.fields, field);
        let m = p.values.get(field);
        if (!m) p.values.set(field, (m = new Map()));
        for (const v of values) if (m.has(v) || m.size < PENDING_VALUES_PER_FIELD) bump(m, v);
      }
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch((err: unknown) => this.logger.warn({ err }, 'field summary flush failed; retried at the next')), FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((err: unknown) => this.logger.warn({ err }, 'field summary flush at stop failed'));
  }

  /** Adds the pending counts to the day documents: one update per day. Flushes run one at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    for (const [day, p] of pending) {
      const inc: Record<string, number> = { n: p.n };
      for (const [k, c] of p.types) inc[`types.${encodeKey(k)}`] = c;
      for (const [k, c] of p.sources) inc[`sources.${encodeKey(k)}`] = c;
      for (const [k, c] of p.fields) inc[`fields.${encodeKey(k)}`] = c;
      let days = this.written.get(day);
      if (!days) this.written.set(day, (days = new Map()));
      for (const [field, values] of p.values) {
        let keys = days.get(field);
        if (!keys) days.set(field, (keys = new Set()));
        const top = [...values].sort((a, b) => b[1] - a[1]).slice(0, VALUES_PER_FLUSH);
        for (const [v, c] of top) {
          const key = `values.${encodeKey(field)}.${encodeKey(v)}`;
          if (!keys.has(key) && keys.size >= MAX_VALUE_KEYS) continue;
          keys.add(key);
          inc[key] = c;
        }
      }
      await this.collection.updateOne({ _id: day }, { $inc: inc }, { upsert: true });
    }
    // Only recent days get more signals; forget the rest's written keys.
    if (this.written.size > 8) for (const day of [...this.written.keys()].sort().slice(0, this.written.size - 8)) this.written.delete(day);
  }

  /** The period's types, sources, fields and each field's `top` most frequent values, most frequent first. */
  async report(since: Date, until: Date, top = 10): Promise<FieldsReport> {
    await this.flush();
    const days: string[] = [];
    const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
    for (let t = first; t <= until.getTime() && days.length < MAX_DAYS; t += 86_400_000) days.push(dayOf(t));
    const docs = days.length ? await this.collection.find({ _id: { $in: days } }).toArray() : [];
    let signals = 0;
    const types = new Map<string, number>();
    const sources = new Map<string, number>();
    const fields = new Map<string, number>();
    const values = new Map<string, Map<string, number>>();
    const add = (into: Map<string, number>, from: Record<string, number> | undefined) => {
      for (const [k, c] of Object.entries(from ?? {})) bump(into, decodeKey(k), c);
    };
    for (const doc of docs) {
      signals += doc.n ?? 0;
      add(types, doc.types);
      add(sources, doc.sources);
      add(fields, doc.fields);
      for (const [f, vs] of Object.entries(doc.values ?? {})) {
        const field = decodeKey(f);
        let m = values.get(field);
        if (!m) values.set(field, (m = new Map()));
        add(m, vs);
      }
    }
    const ranked = (m: Map<string, number>, n = Infinity): Counted[] =>
      [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([value, count]) => ({ value, count }));
    return {
      since: since.toISOString(),
      until: until.toISOString(),
      signals,
      types: ranked(types),
      sources: ranked(sources),
      fields: ranked(fields).map(({ value: field, count }) => ({ field, count, values: ranked(values.get(field) ?? new Map(), top) })),
    };
  }
}
