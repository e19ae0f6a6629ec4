// Ingestion: raw events from a source -> mapped and validated signals -> handed to correlation -> stored
// (idempotent). All-or-nothing per request: if any event is invalid, nothing is stored and every problem is
// reported, so a sender can fix and resend the whole batch. Correlation is handed the signals BEFORE they are
// stored (its log entries name them), so whatever crashes afterwards, a stored signal is never left
// uncorrelated; the entry then learns which of its signals this ingestion stored (the others are duplicates).
import type { Logger } from '../app/logger.js';
import type { MappedSignal, SourceDefinition } from '../plugins/types.js';
import { MAX_PROBLEMS, type RawEvent } from './body.js';
import { describeIssues, signalSchema, type Signal } from './signal.js';
import { signalKey, type InsertResult, type SignalStore, type StoredSignal } from './store.js';
import { foldConfusables } from './confusables.js';
import { checkSignal } from './signal-check.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Stored signals, for correlation. */
  stored: Signal[];
}

export class InvalidEventsError extends Error {
  override readonly name = 'InvalidEventsError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** What ingestion does around storing: the batch id to store with, and what the insert stored (or that it failed). */
export interface HandOff {
  batch: string;
  settle(inserted: Set<string> | 'failed'): void;
}

/**
 * Enriches and hands signals to correlation before they are stored; undefined when no rule wants them. It may
 * call `meanwhile` once the signals are final (enriched) while the hand-off's write is in flight: ingestion then
 * builds the documents to store in that time instead of after it.
 */
export type CorrelationHook = (signals: Signal[], meanwhile: () => void) => Promise<HandOff | undefined | void>;

/**
 * For a hook: `writing`'s result, with `meanwhile` run after a turn of the loop (the driver sends the write
 * first) while the server works. A failure of `meanwhile` is left to its caller, who does that work again.
 */
export async function whileWriting<T>(writing: Promise<T>, meanwhile?: () => void): Promise<T> {
  if (!meanwhile) return writing;
  writing.catch(() => {}); // awaited below: only keeps a failure meanwhile from counting as unhandled
  await new Promise<void>((resolve) => setImmediate(resolve));
  try {
    meanwhile();
  } catch {
    // Done again by the caller after the hand-off, where a failure settles the entries as failed.
  }
  return writing;
}

/** Maps raw events with the source's mapper, validating every signal; throws InvalidEventsError listing all problems. */
export function mapEvents(sourceName: string, source: Pick<SourceDefinition<unknown>, 'map'>, events: RawEvent[]): Signal[] {
  const signals: Signal[] = [];
  const problems: string[] = [];
  for (const { index, event } of events) {
    if (problems.length >= MAX_PROBLEMS) {
      problems.push(`...stopped checking after ${MAX_PROBLEMS} problems; events from ${index} on were not checked`);
      break;
    }
    let mapped: MappedSignal[];
    try {
      mapped = source.map(event);
    } catch (err) {
      problems.push(`event ${index}: the ${sourceName} mapper failed: ${(err as Error).message}`);
      continue;
    }
    for (const m of mapped) {
      const where = mapped.length > 1 ? `event ${index}.${m.index}` : `event ${index}`;
      if (m.error || !m.signal) {
        problems.push(`${where}: ${m.error ?? 'not mapped'}`);
        continue;
      }
      // The mapper owns the vendor format; the Signal contract is checked here for every source alike (the
      // common shape without zod: signal-check.ts).
      const candidate = { ...m.signal, source: sourceName };
      const fast = checkSignal(candidate);
      if (fast) {
        signals.push(fast);
        continue;
      }
      const parsed = signalSchema.safeParse(candidate);
      if (!parsed.success) problems.push(...describeIssues(parsed.error).map((p) => `${where}: ${p}`));
      else signals.push(parsed.data);
    }
  }
  if (problems.length) throw new InvalidEventsError(problems);
  return signals;
}

/** At most this many signals in one grouped insert (the rest wait for the next). */
const MAX_GROUP_SIGNALS = 2_000;
/** Signals waiting for their insert above which a request is refused at once (StoreBusyError), not queued. */
export const MAX_QUEUED_SIGNALS = 10_000;
/** Also refused when the signals waiting would take longer than this to store, at the recent insert rate. */
const MAX_WAIT_S = 10;

/** The store is this far behind: nothing was written for the request; the sender retries later. */
export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError';
  constructor(readonly queued: number) {
    super(`${queued} signals are waiting to be stored`);
  }
}

interface WaitingInsert {
  signals: Signal[];
  docs: StoredSignal[];
  batch?: string;
  resolve(result: InsertResult): void;
  reject(err: unknown): void;
}

export class Ingestor {
  /** Inserts asked for while one is running: they go together in the next (see `insert`). */
  private readonly waiting: WaitingInsert[] = [];
  private waitingSignals = 0;
  /** Signals stored per second by recent grouped inserts (a moving average; undefined until one is done). */
  private insertRate?: number;
  private inserting = false;

  constructor(
    private readonly store: SignalStore,
    private readonly logger: Logger,
    private readonly correlate: CorrelationHook,
    private readonly options: { foldConfusables?: boolean; maxQueuedSignals?: number } = {},
  ) {}

  /**
   * Hands the signals to correlation, then stores them durably; returns once both are done (the caller may
   * acknowledge then). Throws when either fails: nothing is acknowledged, and a retry is safe.
   */
  async ingest(sourceName: string, signals: Signal[]): Promise<IngestResult> {
    // Refused before anything is written: a request queued behind minutes of inserts would time out unanswered.
    const queued = this.waitingSignals;
    if (queued > (this.options.maxQueuedSignals ?? MAX_QUEUED_SIGNALS) || (this.insertRate && queued / this.insertRate > MAX_WAIT_S)) throw new StoreBusyError(queued);
    const folded = this.options.foldConfusables ? signals.map(foldConfusables) : signals;
    let docs: StoredSignal[] | undefined;
    const prepare = () => (docs ??= this.store.prepare(folded));
    const handOff = (await this.correlate(folded, prepare)) ?? undefined;
    let result;
    try {
      result = await this.insert(folded, prepare(), handOff?.batch);
    } catch (err) {
      handOff?.settle('failed');
      throw err;
    }
    handOff?.settle(new Set(result.inserted.map(signalKey)));
    const { inserted, duplicates } = result;
    if (duplicates.length) this.logger.info({ source: sourceName, duplicates: duplicates.length }, 'duplicate signals ignored');
    return { accepted: inserted.length, duplicates: duplicates.length, stored: inserted };
  }

  /**
   * Group commit: one insert at a time; the ingestions that arrive meanwhile are stored together by the next, one
   * command for many requests. On a store with one writer (the embedded database) concurrent inserts only queue
   * there, each a transaction of its own, and one that waits past SQLite's busy timeout fails (SQLITE_BUSY). A
   * failed insert fails all of its requests.
   */
  private insert(signals: Signal[], docs: StoredSignal[], batch?: string): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ signals, docs, batch, resolve, reject });
      this.waitingSignals += signals.length;
      if (!this.inserting) void this.insertWaiting();
    });
  }

  private async insertWaiting(): Promise<void> {
    this.inserting = true;
    while (this.waiting.length) {
      let take = 1;
      let size = this.waiting[0]!.signals.length;
      while (take < this.waiting.length && size + this.waiting[take]!.signals.length <= MAX_GROUP_SIGNALS) size += this.waiting[take++]!.signals.length;
      const group = this.waiting.splice(0, take);
      this.waitingSignals -= size;
      try {
        const started = performance.now();
        const results = await this.store.insertBatches(group.map(({ signals, docs, batch }) => ({ signals, docs, batch })));
        const rate = (size * 1000) / Math.max(1, performance.now() - started);
        this.insertRate = this.insertRate === undefined ? rate : 0.8 * this.insertRate + 0.2 * rate;
        group.forEach((g, i) => g.resolve(results[i]!));
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.inserting = false;
  }
}
