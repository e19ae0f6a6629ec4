// Ingestion: raw events from a source -> mapped and validated signals -> stored (idempotent) -> handed to
// correlation. All-or-nothing per request: if any event is invalid, nothing is stored and every problem is
// reported, so a sender can fix and resend the whole batch.
import type { Logger } from '../app/logger.js';
import type { MappedSignal, SourceDefinition } from '../plugins/types.js';
import { MAX_PROBLEMS, type RawEvent } from './body.js';
import { describeIssues, signalSchema, type Signal } from './signal.js';
import type { SignalStore } from './store.js';
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

export type CorrelationHook = (signals: Signal[]) => Promise<void>;

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

  /** Stores signals durably, then correlates the new ones. Correlation failures are left to the sweeper. */
  async ingest(sourceName: string, signals: Signal[]): Promise<IngestResult> {
    const { inserted, duplicates } = await this.store.insert(this.options.foldConfusables ? signals.map(foldConfusables) : signals);
    if (duplicates.length) this.logger.info({ source: sourceName, duplicates: duplicates.length }, 'duplicate signals ignored');
    return { accepted: inserted.length, duplicates: duplicates.length, stored: inserted };
  }

  /** Runs correlation for stored signals and marks them; on failure they stay unmarked for the sweeper. */
  async correlateStored(signals: Signal[]): Promise<void> {
    if (!signals.length) return;
    try {
      await this.correlate(signals);
      await this.store.markCorrelated(signals);
    } catch (err) {
      this.logger.error({ err, count: signals.length }, 'correlation failed; the sweeper will retry these signals');
    }
  }
}
