// Ingestion: raw events from a source -> mapped and validated signals -> handed to correlation -> stored
// (idempotent). All-or-nothing per request: if any event is invalid, nothing is stored and every problem is
// reported, so a sender can fix and resend the whole batch. Correlation is handed the signals BEFORE they are
// stored (its log entries name them), so whatever crashes afterwards, a stored signal is never left
// uncorrelated; the entry then learns which of its signals this ingestion stored (the others are duplicates).
import type { Logger } from '../app/logger.js';
import type { MappedSignal, SourceDefinition } from '../plugins/types.js';
import { MAX_PROBLEMS, type RawEvent } from './body.js';
import { describeIssues, signalSchema, type Signal } from './signal.js';
import { signalKey, type SignalStore } from './store.js';
import { foldConfusables } from './confusables.js';

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

/** Enriches and hands signals to correlation before they are stored; undefined when no rule wants them. */
export type CorrelationHook = (signals: Signal[]) => Promise<HandOff | undefined | void>;

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
      // The mapper owns the vendor format; the Signal contract is checked here for every source alike.
      const parsed = signalSchema.safeParse({ ...m.signal, source: sourceName });
      if (!parsed.success) problems.push(...describeIssues(parsed.error).map((p) => `${where}: ${p}`));
      else signals.push(parsed.data);
    }
  }
  if (problems.length) throw new InvalidEventsError(problems);
  return signals;
}

export class Ingestor {
  constructor(
    private readonly store: SignalStore,
    private readonly logger: Logger,
    private readonly correlate: CorrelationHook,
    private readonly options: { foldConfusables?: boolean } = {},
  ) {}

  /**
   * Hands the signals to correlation, then stores them durably; returns once both are done (the caller may
   * acknowledge then). Throws when either fails: nothing is acknowledged, and a retry is safe.
   */
  async ingest(sourceName: string, signals: Signal[]): Promise<IngestResult> {
    const folded = this.options.foldConfusables ? signals.map(foldConfusables) : signals;
    const handOff = (await this.correlate(folded)) ?? undefined;
    let result;
    try {
      result = await this.store.insert(folded, new Date(), handOff?.batch);
    } catch (err) {
      handOff?.settle('failed');
      throw err;
    }
    handOff?.settle(new Set(result.inserted.map(signalKey)));
    const { inserted, duplicates } = result;
    if (duplicates.length) this.logger.info({ source: sourceName, duplicates: duplicates.length }, 'duplicate signals ignored');
    return { accepted: inserted.length, duplicates: duplicates.length, stored: inserted };
  }
}
