// Polled sources: each source with a poller runs as an Agenda job. Its cursor is persisted in MongoDB and
// advanced only after the fetched signals are stored, so a restart neither loses events (the cursor never
// runs ahead of storage) nor ingests them twice (a re-fetched page is refused as duplicates on (source, id)).
// Failures back off exponentially and show in the logs, in /metrics and in the cursor document.
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { Metrics } from '../app/metrics.js';
import type { JobRunner } from '../jobs/scheduler.js';
import type { RouteTable } from '../plugins/routes.js';
import type { PluginContext } from '../plugins/types.js';
import { InvalidEventsError, mapEvents, type Ingestor } from './ingest.js';

export const CURSORS_COLLECTION = 'source_cursors';
export const POLL_JOB_PREFIX = 'poll';

export interface PollerState {
  _id: string;
  cursor?: string;
  lastSuccessAt?: Date;
  lastAttemptAt?: Date;
  failures: number;
  lastError?: string;
  /** While backing off, polls before this time are skipped. */
  retryAfter?: Date;
  /** Events of the last page that could not be mapped (kept for an admin to look at). */
  rejected?: string[];
}

const MAX_BACKOFF_MS = 30 * 60_000;
const FETCH_TIMEOUT_MS = 60_000;
/** First retry a minute after a failure, doubling up to MAX_BACKOFF_MS. */
const BACKOFF_BASE_MS = 60_000;

export function backoffMs(failures: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, failures - 1));
}

export function pollJobName(source: string): string {
  return `${POLL_JOB_PREFIX}.${source}`;
}

export class Pollers {
  private readonly cursors: Collection<PollerState>;

  constructor(
    db: Db,
    private readonly deps: {
      routes: RouteTable;
      contexts: Map<string, PluginContext<unknown>>;
      ingestor: Ingestor;
      logger: Logger;
      metrics: Metrics;
      now?: () => Date;
    },
  ) {
    this.cursors = db.collection<PollerState>(CURSORS_COLLECTION);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Defines one job per polled source and schedules it at the source's interval. */
  async register(jobs: JobRunner): Promise<void> {
    for (const [name, { def }] of this.deps.routes.sources) {
      if (!def.poller) continue;
      jobs.define(
        pollJobName(name),
        async (_data, job) => {
          await this.pollOnce(name, job.touch);
        },
        { lockLifetimeMs: FETCH_TIMEOUT_MS * 2, concurrency: 1 },
      );
      await jobs.port().every({ name: pollJobName(name) }, def.poller.every, undefined);
    }
  }

  /** One poll of one source; exported for tests and for `taser` tooling. Never throws. */
  async pollOnce(sourceName: string, touch: () => Promise<void> = async () => {}): Promise<'skipped' | 'ok' | 'failed'> {
    const { routes, contexts, ingestor, logger, metrics } = this.deps;
    const route = routes.sources.get(sourceName);
    if (!route?.def.poller) return 'skipped';
    const state = (await this.cursors.findOne({ _id: sourceName })) ?? { _id: sourceName, failures: 0 };
    const now = this.now();
    if (state.retryAfter && state.retryAfter > now) return 'skipped';

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`fetch took longer than ${FETCH_TIMEOUT_MS} ms`)), FETCH_TIMEOUT_MS);
    try {
      const page = await route.def.poller.fetch(state.cursor, contexts.get(route.namespace)!, controller.signal);
      await touch();
      let signals;
      let rejected: string[] = [];
      try {
        signals = mapEvents(sourceName, route.def, page.events.map((event, index) => ({ index, event })));
      } catch (err) {
        if (!(err instanceof InvalidEventsError)) throw err;
        // A vendor event we cannot map must not block the source forever: keep the good ones, record the rest.
        rejected = err.problems;
        signals = page.events.flatMap((event, index) => {
          try {
            return mapEvents(sourceName, route.def, [{ index, event }]);
          } catch {
            return [];
          }
        });
        logger.warn({ source: sourceName, problems: rejected.slice(0, 20) }, 'polled events could not be mapped; skipped');
        metrics.sourceEvents.inc({ source: sourceName, outcome: 'rejected' }, rejected.length);
      }
      const result = await ingestor.ingest(sourceName, signals);
      // Only now, with the signals stored, may the cursor move.
      await this.cursors.updateOne(
        { _id: sourceName },
        {
          $set: { cursor: page.cursor ?? state.cursor, lastSuccessAt: now, lastAttemptAt: now, failures: 0, rejected },
          $unset: { retryAfter: '', lastError: '' },
        },
        { upsert: true },
      );
      metrics.sourceEvents.inc({ source: sourceName, outcome: 'accepted' }, result.accepted);
      metrics.sourceEvents.inc({ source: sourceName, outcome: 'duplicate' }, result.duplicates);
      metrics.polls.inc({ source: sourceName, outcome: 'ok' });
      metrics.pollFailures.set({ source: sourceName }, 0);
      return 'ok';
    } catch (err) {
      const failures = state.failures + 1;
      const retryAfter = new Date(now.getTime() + backoffMs(failures, BACKOFF_BASE_MS));
      logger.error({ err, source: sourceName, failures, retryAfter }, 'polling a source failed; backing off');
      await this.cursors
        .updateOne({ _id: sourceName }, { $set: { failures, lastError: (err as Error).message, lastAttemptAt: now, retryAfter } }, { upsert: true })
        .catch((writeErr: unknown) => logger.error({ err: writeErr, source: sourceName }, 'could not record a polling failure'));
      metrics.polls.inc({ source: sourceName, outcome: 'failed' });
      metrics.pollFailures.set({ source: sourceName }, failures);
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }
}
