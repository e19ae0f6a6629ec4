// The durable, ordered per-case outbox to the backend. The case events are the outbox: each case keeps
// `backend.appliedSeq`, the last event its backend copy has, and the sync applies the following events in
// sequence order, one case at a time (a lease whose unique _id is the arbiter keeps replicas apart). Nothing
// lives only in memory: a restart, or another replica, carries on from appliedSeq. Effects happen once because
// every backend call is idempotent (a retried create finds the first copy by the taser id it is tagged with).
// A retryable failure waits (Retry-After, else exponential back-off) and tries again; one retrying cannot fix
// marks the sync `failed` on the case until an admin retries it (`/case retry-sync N`).
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../app/logger.js';
import type { AlertStore } from '../correlation/alert-store.js';
import type { JobRunner } from '../jobs/scheduler.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { CaseBackendError, type BackendCaseRef, type CaseBackend } from './backend.js';
import type { CasesConfig } from './config.js';
import { LOCAL_BACKEND, SYNCED_KINDS, type CaseEvent, type CaseEventData, type StoredCase } from './model.js';
import { CASE_COLLECTIONS, type CaseStore } from './store.js';
import type { CaseService } from './service.js';
import type { CaseChannelStore } from './channels/store.js';
import { mirrorChannelEvent } from './channels/mirror.js';

export const CASE_SYNC_JOB = 'core.case-sync';
const LEASE_MS = 2 * 60_000;
/** Each backend call's deadline; a lease always has room for one more call. */
const CALL_TIMEOUT_MS = 20_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const OBSERVABLE_BATCH = 100;

interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

export interface CaseSyncDeps {
  store: CaseStore;
  service: CaseService;
  alerts: Pick<AlertStore, 'get'>;
  backend(): CaseBackend | undefined;
  config: CasesConfig;
  logger: Logger;
  leases: Collection<LeaseDoc>;
  registry?: Registry;
  /** Case channels: where each channel's backend task is remembered (src/cases/channels/mirror.ts). */
  channels?: CaseChannelStore;
}

export class CaseSync {
  private jobs?: JobRunner;
  private readonly running = new Set<string>();
  private readonly calls?: Counter<'backend' | 'op' | 'outcome'>;

  constructor(private readonly deps: CaseSyncDeps) {
    if (deps.registry) {
      this.calls = new Counter({
        name: 'taser_case_sync_calls_total',
        help: 'Case backend calls by backend, operation and outcome (ok, retry, failed)',
        labelNames: ['backend', 'op', 'outcome'] as const,
        registers: [deps.registry],
      });
      const cases = deps.store.cases;
      let refreshing = false;
      new Gauge({
        name: 'taser_cases_sync_failed',
        help: 'Cases whose backend sync failed and waits for an admin (`/case retry-sync N`)',
        registers: [deps.registry],
        // A scrape never waits on the database: it reports the last count and refreshes it in the background.
        collect() {
          if (refreshing) return;
          refreshing = true;
          void cases
            .countDocuments({ 'backend.sync': 'failed' }, { maxTimeMS: 10_000 })
            .then((n) => this.set(n))
            .catch((err: unknown) => deps.logger.warn({ err }, 'the failed-sync count for /metrics could not be refreshed'))
            .finally(() => (refreshing = false));
        },
      });
    }
  }

  /** Defines the job that runs due syncs (at start, every 30 s as a sweep, and at each retry time). */
  async register(jobs: JobRunner): Promise<void> {
    this.jobs = jobs;
    jobs.define(CASE_SYNC_JOB, async () => this.processDue(), { lockLifetimeMs: 10 * 60_000, concurrency: 1 });
    await jobs.port().every({ name: CASE_SYNC_JOB }, '30 seconds', undefined);
    // What a previous process left pending resumes now, not at the first sweep.
    await jobs.port().now({ name: CASE_SYNC_JOB }, undefined);
  }

  /** Starts the case's sync in the background, now (a person waits to see the backend link). */
  kick(caseId: string): void {
    if (!this.deps.backend()) return;
    void this.syncCase(caseId).catch((err: unknown) => this.deps.logger.error({ err, case: caseId }, 'case sync run failed; the sweep retries it'));
  }

  /** Every case whose sync is due. */
  async processDue(now = new Date()): Promise<void> {
    if (!this.deps.backend()) return;
    const due = await this.deps.store.cases
      .find({ 'backend.sync': 'pending', 'backend.nextAttemptAt': { $lte: now } }, { projection: { _id: 1 } })
      .sort({ 'backend.nextAttemptAt': 1 })
      .limit(100)
      .toArray();
    for (const { _id } of due) await this.syncCase(_id);
  }

  /** Applies the case's unapplied events in order, under the case's lease. */
  async syncCase(caseId: string): Promise<void> {
    const backend = this.deps.backend();
    if (!backend || this.running.has(caseId)) return;
    this.running.add(caseId);
    const lease = await this.takeLease(caseId);
    try {
      if (!lease) return; // another replica syncs it now
      for (;;) {
        const c = await this.deps.store.get(caseId);
        if (!c || c.backend.name === LOCAL_BACKEND || c.backend.sync === 'failed') return;
        if (c.backend.nextAttemptAt && c.backend.nextAttemptAt.getTime() > Date.now()) return;
        const events = await this.deps.store.eventsAfter(caseId, c.backend.appliedSeq, 50);
        if (!events.length) {
          await this.deps.store.cases.updateOne({ _id: caseId }, { $set: { 'backend.sync': 'synced', 'backend.attempts': 0 }, $unset: { 'backend.nextAttemptAt': '', 'backend.lastError': '' } });
          // An event appended while we marked it synced must not wait for the sweep.
          if ((await this.deps.store.eventsAfter(caseId, c.backend.appliedSeq, 1)).length) {
            await this.deps.store.cases.updateOne({ _id: caseId }, { $set: { 'backend.sync': 'pending', 'backend.nextAttemptAt': new Date() } });
            continue;
          }
          if (c.backend.sync !== 'synced') this.deps.logger.info({ case: caseId, number: c.number, backend: backend.name }, 'case synced to its backend');
          return;
        }
        let ref = refOf(c);
        for (const event of events) {
          if (lease.expiresAt - Date.now() < CALL_TIMEOUT_MS * 2) return; // the sweep (or kick) continues under a new lease
          const outcome = await this.apply(backend, c, ref, event);
          if (outcome === 'stop') return;
          if (outcome !== 'ok') ref = outcome;
          await this.deps.store.cases.updateOne({ _id: caseId }, { $max: { 'backend.appliedSeq': event.seq }, $set: { 'backend.attempts': 0 } });
          c.backend.appliedSeq = event.seq;
        }
      }
    } finally {
      this.running.delete(caseId);
      if (lease) await this.deps.leases.deleteOne({ _id: caseId, owner: lease.owner }).catch(() => {});
    }
  }

  /** One event to the backend: 'ok', the new ref after a create, or 'stop' (waits for a retry, or failed). */
  private async apply(backend: CaseBackend, c: StoredCase, ref: BackendCaseRef | undefined, event: CaseEvent): Promise<'ok' | 'stop' | BackendCaseRef> {
    if (!SYNCED_KINDS.has(event.kind)) return 'ok';
    const signal = () => AbortSignal.timeout(CALL_TIMEOUT_MS);
    const op = ref ? event.kind : 'created';
    try {
      if (!ref) {
        // The create carries the case as it is now; the events after it are then applied on top (idempotent).
        const created = await backend.createCase(
          {
            caseId: c._id, number: c.number, title: c.title, description: c.description, severity: c.severity, tags: c.tags, alertIds: c.alertIds,
            ...(c.team ? { team: c.team } : {}), ...(c.assignee?.includes('@') ? { assignee: c.assignee } : {}),
          },
          signal(),
        );
        await this.deps.store.cases.updateOne({ _id: c._id }, { $set: { 'backend.id': created.id, ...(created.url ? { 'backend.url': created.url } : {}), ...(created.number !== undefined ? { 'backend.number': created.number } : {}) } });
        this.count(backend, 'created', 'ok');
        await this.deps.service.recordProgress(c._id, 'backend_linked', { name: backend.name, id: created.id, ...(created.url ? { url: created.url } : {}) });
        // The `created` event itself needs nothing more; any other first event is applied now on the new copy.
        if (event.kind !== 'created') {
          const again = await this.apply(backend, c, created, event);
          return again === 'stop' ? 'stop' : created;
        }
        return created;
      }
      await this.call(backend, ref, event, signal);
      this.count(backend, op, 'ok');
      return 'ok';
    } catch (err) {
      await this.failure(backend, c, event, op, err);
      return 'stop';
    }
  }

  private async call(backend: CaseBackend, ref: BackendCaseRef, event: CaseEvent, signal: () => AbortSignal): Promise<void> {
    switch (event.kind) {
      case 'created':
        return; // a created event after the copy exists: a retried run; nothing to do
      case 'updated': {
        const { changes } = event.data as CaseEventData['updated'];
        const { assignee, ...rest } = changes;
        const patch = { ...rest, ...(assignee === null ? { assignee: null } : assignee?.includes('@') ? { assignee } : {}) };
        if (Object.keys(patch).length) await backend.updateCase(ref, patch, signal());
        return;
      }
      case 'alerts_added':
        for (const alertId of (event.data as CaseEventData['alerts_added']).alertIds) {
          const alert = await this.deps.alerts.get(alertId);
          if (!alert) continue;
          await backend.linkAlert(ref, { alertId, title: alert.ruleName ?? alert.ruleId, severity: alert.severity === 'info' ? 'low' : alert.severity, sourceRef: alert.ruleId }, signal());
        }
        return;
      case 'observables_added': {
        const all = (event.data as CaseEventData['observables_added']).observables;
        for (let i = 0; i < all.length; i += OBSERVABLE_BATCH) {
          const batch = all.slice(i, i + OBSERVABLE_BATCH).map((o) => ({ field: o.field, value: o.value, ...(o.alertIds?.length ? { source: `taser alert ${o.alertIds[0]}` } : {}) }));
          await backend.addObservables(ref, batch, signal());
        }
        return;
      }
      case 'closed': {
        const { resolution, summary } = event.data as CaseEventData['closed'];
        return backend.closeCase(ref, { resolution, summary }, signal());
      }
      case 'reopened':
        return backend.reopenCase(ref, signal());
      case 'channel_opened':
      case 'channel_message':
        if (this.deps.channels) await mirrorChannelEvent(this.deps.channels, backend, ref, event, signal);
        return;
      default:
        return;
    }
  }

  private async failure(backend: CaseBackend, c: StoredCase, event: CaseEvent, op: string, err: unknown): Promise<void> {
    const known = err instanceof CaseBackendError ? err : undefined;
    // An abort (our deadline) or a network error without the port's type: retrying may help.
    const retryable = known ? known.retryable : true;
    const message = err instanceof Error ? err.message : String(err);
    const attempts = c.backend.attempts + 1;
    const log = { case: c._id, number: c.number, backend: backend.name, op, seq: event.seq, attempts, error: message };
    if (retryable && attempts < this.deps.config.maxAttempts) {
      const backoff = Math.min(MAX_BACKOFF_MS, this.deps.config.retryBaseSeconds * 1000 * 2 ** (attempts - 1));
      const next = new Date(Date.now() + Math.max(backoff, known?.options.retryAfterMs ?? 0));
      await this.deps.store.cases.updateOne({ _id: c._id }, { $set: { 'backend.attempts': attempts, 'backend.nextAttemptAt': next, 'backend.lastError': message, 'backend.sync': 'pending' } });
      c.backend.attempts = attempts;
      this.count(backend, op, 'retry');
      this.deps.logger.warn({ ...log, nextAttemptAt: next }, 'case backend call failed; retrying later');
      await this.wake(next);
      return;
    }
    await this.deps.store.cases.updateOne({ _id: c._id }, { $set: { 'backend.sync': 'failed', 'backend.attempts': attempts, 'backend.lastError': message, 'backend.failedAt': new Date() }, $unset: { 'backend.nextAttemptAt': '' } });
    this.count(backend, op, 'failed');
    this.deps.logger.error(log, `case #${c.number} could not be synced to ${backend.name}: ${message}. An admin retries it with /case retry-sync ${c.number}`);
    await this.deps.service.recordProgress(c._id, 'sync_failed', { error: message, seq: event.seq });
  }

  private async wake(when: Date): Promise<void> {
    if (!this.jobs?.running) return; // the 30-second sweep will pick it up
    await this.jobs.port().schedule({ name: CASE_SYNC_JOB }, when, undefined).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not schedule a case sync retry'));
  }

  private count(backend: CaseBackend, op: string, outcome: 'ok' | 'retry' | 'failed'): void {
    this.calls?.inc({ backend: backend.name, op, outcome });
  }

  /** One sync per case at a time across replicas: the unique _id insert decides; an expired lease is taken over. */
  private async takeLease(caseId: string): Promise<{ owner: string; expiresAt: number } | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const owner = randomUUID();
      const expiresAt = Date.now() + LEASE_MS;
      try {
        await this.deps.leases.insertOne({ _id: caseId, owner, expiresAt: new Date(expiresAt) });
        return { owner, expiresAt };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const removed = await this.deps.leases.deleteOne({ _id: caseId, expiresAt: { $lt: new Date() } });
        if (!removed.deletedCount) return undefined;
      }
    }
    return undefined;
  }
}

function refOf(c: StoredCase): BackendCaseRef | undefined {
  return c.backend.id ? { id: c.backend.id, ...(c.backend.url ? { url: c.backend.url } : {}), ...(c.backend.number !== undefined ? { number: c.backend.number } : {}) } : undefined;
}

export const leasesCollection = (db: import('mongodb').Db) => db.collection<LeaseDoc>(CASE_COLLECTIONS.leases);
