// The durable outbox to the pager. A page is a document whose _id `<caseId>:<action>` makes it exist once per
// case (one trigger, one resolve), and an Agenda job sends it: a 429 waits for Retry-After, a 5xx or no answer
// backs off exponentially, a 4xx is a failure recorded on the page, the flow, the case, the log and /metrics.
// The job is persisted by Agenda, so a restart (or another replica) carries on; a page already sent is never
// sent again, and PagerDuty folds a repeated trigger with one dedup_key into one incident anyway.
import type { Collection, Db } from 'mongodb';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../app/logger.js';
import type { JobRunner } from '../jobs/scheduler.js';
import type { JobRef, Scheduler } from '../plugins/types.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { PagerError, type PageEvent, type Pager } from './ports.js';
import { FLOW_COLLECTIONS } from './store.js';

export const PAGE_JOB = 'core.confirmation-page';
const CALL_TIMEOUT_MS = 20_000;

export interface PageDoc {
  _id: string;
  caseId: string;
  flowId: string;
  event: PageEvent;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt?: Date;
  lastError?: string;
  sentAt?: Date;
  failedAt?: Date;
  createdAt: Date;
}

export interface PageRetry {
  firstDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

export interface PageOutcome {
  page: PageDoc;
  outcome: 'sent' | 'failed';
}

export class PageOutbox {
  readonly pages: Collection<PageDoc>;
  private scheduler?: Scheduler;
  private readonly job: JobRef<{ pageId: string }> = { name: PAGE_JOB };
  private readonly counter?: Counter<'action' | 'outcome'>;

  constructor(
    db: Db,
    private readonly deps: { pager(): Pager | undefined; retry: PageRetry; logger: Logger; registry?: Registry; settled(outcome: PageOutcome): Promise<void> },
  ) {
    this.pages = db.collection<PageDoc>(FLOW_COLLECTIONS.pages);
    if (deps.registry) {
      this.counter = new Counter({
        name: 'taser_confirmation_pages_total',
        help: 'Pages (PagerDuty events) by action and outcome (sent, retry, failed)',
        labelNames: ['action', 'outcome'] as const,
        registers: [deps.registry],
      });
    }
  }

  async register(jobs: JobRunner): Promise<void> {
    jobs.define(PAGE_JOB, async (data) => this.attempt(String((data as { pageId?: unknown }).pageId ?? '')), { lockLifetimeMs: 2 * CALL_TIMEOUT_MS });
    this.scheduler = jobs.port();
  }

  /** After start: pages left pending by a crash between their insert and their job get a job again. */
  async resume(): Promise<void> {
    for (const page of await this.pages.find({ status: 'pending' }).limit(1000).toArray()) await this.wake(page._id, page.nextAttemptAt ?? new Date());
  }

  /** Queues the page once per case and action; false when it was queued before. */
  async enqueue(flowId: string, event: PageEvent): Promise<boolean> {
    const doc: PageDoc = { _id: `${event.dedupKey}:${event.action}`, caseId: event.dedupKey, flowId, event, status: 'pending', attempts: 0, createdAt: new Date() };
    try {
      await this.pages.insertOne(doc);
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
    await this.wake(doc._id, new Date());
    return true;
  }

  get(caseId: string, action: PageEvent['action']): Promise<PageDoc | null> {
    return this.pages.findOne({ _id: `${caseId}:${action}` });
  }

  private async wake(pageId: string, when: Date): Promise<void> {
    if (!this.scheduler) throw new Error('the page outbox is not registered with the job runner');
    await this.scheduler.schedule(this.job, when, { pageId });
  }

  /** One send of a pending page (the job). */
  async attempt(pageId: string): Promise<void> {
    const page = await this.pages.findOne({ _id: pageId });
    if (!page || page.status !== 'pending') return;
    if (page.nextAttemptAt && page.nextAttemptAt.getTime() > Date.now() + 1000) return; // an early duplicate wake-up
    const pager = this.deps.pager();
    const log = this.deps.logger.child({ page: pageId, flow: page.flowId, action: page.event.action });
    if (!pager) return this.fail(page, 'no pager is enabled (enable the pagerduty plugin with a routing key)', log);
    const attempts = page.attempts + 1;
    try {
      await pager.send(page.event, AbortSignal.timeout(CALL_TIMEOUT_MS));
    } catch (err) {
      const e = err instanceof PagerError ? err : new PagerError((err as Error).message, true);
      if (!e.retryable || attempts >= this.deps.retry.maxAttempts) {
        return this.fail({ ...page, attempts }, e.retryable ? `gave up after ${attempts} attempts: ${e.message}` : e.message, log);
      }
      const delay = e.options.retryAfterMs ?? Math.min(this.deps.retry.maxDelayMs, this.deps.retry.firstDelayMs * 2 ** (attempts - 1));
      const nextAttemptAt = new Date(Date.now() + delay);
      await this.pages.updateOne({ _id: pageId }, { $set: { attempts, nextAttemptAt, lastError: e.message } });
      this.counter?.inc({ action: page.event.action, outcome: 'retry' });
      log.warn({ err: e.message, attempts, retryInMs: delay }, 'page not accepted yet; will retry');
      await this.wake(pageId, nextAttemptAt);
      return;
    }
    const sent: PageDoc = { ...page, attempts, status: 'sent', sentAt: new Date() };
    await this.pages.updateOne({ _id: pageId }, { $set: { status: 'sent', attempts, sentAt: sent.sentAt! }, $unset: { nextAttemptAt: '' } });
    this.counter?.inc({ action: page.event.action, outcome: 'sent' });
    log.info({ attempts, pager: pager.name }, `page ${page.event.action} sent`);
    await this.deps.settled({ page: sent, outcome: 'sent' });
  }

  private async fail(page: PageDoc, message: string, log: Logger): Promise<void> {
    const failedAt = new Date();
    await this.pages.updateOne({ _id: page._id }, { $set: { status: 'failed', attempts: page.attempts, lastError: message, failedAt }, $unset: { nextAttemptAt: '' } });
    this.counter?.inc({ action: page.event.action, outcome: 'failed' });
    log.error({ err: message }, `page ${page.event.action} failed`);
    await this.deps.settled({ page: { ...page, status: 'failed', lastError: message, failedAt }, outcome: 'failed' });
  }
}
