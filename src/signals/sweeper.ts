// The correlation sweeper: signals are acknowledged once stored, then correlated. A crash (or a MongoDB
// hiccup) between the two leaves them stored but uncorrelated; this job finds them and finishes the work,
// so nothing stored is ever lost to correlation. The live correlator skips a signal its state already holds,
// so a signal swept twice is not counted twice.
import type { Logger } from '../app/logger.js';
import type { JobRunner } from '../jobs/scheduler.js';
import type { Correlation } from '../correlation/service.js';

export const SWEEP_JOB = 'core.correlation-sweep';
/** Younger signals may still be in their first correlation. */
const GRACE_MS = 30_000;
const BATCH = 500;

/** Correlates stored-but-uncorrelated signals older than the grace period; returns how many. */
export async function sweepOnce(correlation: Correlation, now = new Date()): Promise<number> {
  let total = 0;
  for (;;) {
    const signals = await correlation.signals.uncorrelated(new Date(now.getTime() - GRACE_MS), BATCH);
    if (!signals.length) return total;
    await correlation.correlate(signals);
    await correlation.signals.markCorrelated(signals);
    total += signals.length;
    if (signals.length < BATCH) return total;
  }
}

export async function scheduleSweeper(jobs: JobRunner, correlation: Correlation, logger: Logger): Promise<void> {
  jobs.define(
    SWEEP_JOB,
    async () => {
      const swept = await sweepOnce(correlation);
      if (swept) logger.warn({ swept }, 'correlated signals that a crash or an error had left uncorrelated');
    },
    { lockLifetimeMs: 10 * 60_000, concurrency: 1 },
  );
  await jobs.port().every({ name: SWEEP_JOB }, '1 minute', undefined);
}
