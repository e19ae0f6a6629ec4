// Agenda 6 on the bot's own database, behind a small scheduler port so plugin job handlers stay plain
// functions. Agenda's locks in MongoDB spread jobs across replicas.
import { Agenda, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { JobRef, Scheduler } from '../plugins/types.js';

export const JOBS_COLLECTION = 'jobs';
const DEFAULT_LOCK_LIFETIME_MS = 10 * 60_000;

export interface JobOptions {
  lockLifetimeMs?: number;
  concurrency?: number;
}

export type JobHandler = (data: unknown, job: { touch(): Promise<void> }) => Promise<void>;

export class JobRunner {
  private instance?: Agenda;
  private readonly definitions: [string, JobHandler, JobOptions][] = [];
  private started = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: { processEveryMs?: number } = {},
  ) {}

  /** Created on first use: Agenda connects in its constructor, which a CLI command that never schedules must not pay for. */
  get agenda(): Agenda {
    if (!this.instance) {
      this.instance = new Agenda({
        backend: new MongoBackend({ mongo: this.db, collection: JOBS_COLLECTION }),
        processEvery: this.options.processEveryMs ?? 5_000,
        defaultLockLifetime: DEFAULT_LOCK_LIFETIME_MS,
      });
      this.instance.on('error', (err: Error) => this.logger.error({ err }, 'job scheduler error'));
      for (const [name, handler, options] of this.definitions) this.defineOn(this.instance, name, handler, options);
    }
    return this.instance;
  }

  define(name: string, handler: JobHandler, options: JobOptions = {}): void {
    this.definitions.push([name, handler, options]);
    if (this.instance) this.defineOn(this.instance, name, handler, options);
  }

  private defineOn(agenda: Agenda, name: string, handler: JobHandler, options: JobOptions): void {
    agenda.define(
      name,
      async (job: Job) => {
        await handler(job.attrs.data, { touch: async () => void (await job.touch()) });
      },
      {
        lockLifetime: options.lockLifetimeMs ?? DEFAULT_LOCK_LIFETIME_MS,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      },
    );
  }

  async start(): Promise<void> {
    await this.agenda.start();
    this.singleFlightScans();
    this.started = true;
    // One-off jobs (`now`, `schedule`: outbox wake-ups) that finished would pile up: purge them a little after
    // they finish. Not Agenda's removeOnComplete: it races Agenda's own save after the run and hangs drain().
    const every = (this.options.processEveryMs ?? 5_000) * 10;
    this.purgeTimer = setInterval(() => void this.purgeFinished(every).catch((err: unknown) => this.logger.warn({ err }, 'could not purge finished jobs')), every);
    this.purgeTimer.unref();
  }

  private purgeTimer?: NodeJS.Timeout;

  /**
   * Agenda 6 scans for due jobs on a setInterval, one findOneAndUpdate per job name, without waiting for the
   * previous scan: when the database answers slower than processEvery (load, many jobs), scans pile up until
   * the connection pool runs dry (MongoWaitQueueTimeoutError) and nothing else gets a connection. A tick that
   * finds the previous scan still running is skipped; the running scan already locks every due job it finds.
   */
  private singleFlightScans(): void {
    const processor = (this.agenda as unknown as { jobProcessor?: { process?: () => Promise<void> } }).jobProcessor;
    const scan = processor?.process?.bind(processor);
    if (!processor || !scan) {
      this.logger.warn('job scheduler internals changed: overlapping scans are not prevented');
      return;
    }
    let running: Promise<void> | undefined;
    this.skippedScans = 0;
    processor.process = () => {
      if (running) {
        this.skippedScans++;
        return running;
      }
      running = scan().finally(() => (running = undefined));
      return running;
    };
  }

  /** Scans skipped because the previous one was still running (tests read it). */
  skippedScans = 0;

  /** Deletes one-off jobs that succeeded more than `olderThanMs` ago (failed ones stay for inspection). */
  async purgeFinished(olderThanMs: number): Promise<number> {
    const res = await this.db.collection(JOBS_COLLECTION).deleteMany({
      nextRunAt: null,
      lockedAt: null,
      failedAt: null,
      lastFinishedAt: { $lt: new Date(Date.now() - olderThanMs) },
    });
    return res.deletedCount;
  }

  get running(): boolean {
    return this.started;
  }

  /** Waits up to timeoutMs for running jobs, then stops; jobs still running are unlocked for another replica. */
  async drain(timeoutMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.purgeTimer);
    const result = await this.agenda.drain(timeoutMs);
    if (result && typeof result === 'object' && 'timedOut' in result && result.timedOut) {
      this.logger.warn({ running: (result as { running?: number }).running }, 'jobs still running at shutdown; unlocking them');
      await this.agenda.stop();
    }
  }

  /** The port handed to code that schedules jobs. Job names are already namespaced in their refs. */
  port(): Scheduler {
    const runner = this;
    return {
      async now<D>(job: JobRef<D>, data: D) {
        await runner.agenda.now(job.name, data);
      },
      async schedule<D>(job: JobRef<D>, when: Date, data: D) {
        await runner.agenda.schedule(when, job.name, data);
      },
      async every<D>(job: JobRef<D>, interval: string, data: D, options?: { timezone?: string }) {
        await runner.agenda.every(interval, job.name, data, options?.timezone ? { timezone: options.timezone } : undefined);
      },
      async cancel<D>(job: JobRef<D>) {
        return runner.agenda.cancel({ name: job.name });
      },
    };
  }
}
