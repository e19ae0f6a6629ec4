// The case service: every change to a case goes through here, is checked against the ACL, stored, recorded as
// a case event (who, when, what) and announced in-process (`created`, `updated`), then handed to the backend
// sync (src/cases/sync.ts), which mirrors the events in order. Slack, the HTTP API, the CLI and plugins (as
// `ctx.cases`) all call this one service.
import type { Logger } from '../app/logger.js';
import type { AlertStore, StoredAlert } from '../correlation/alert-store.js';
import type { CaseAccess, CaseAction, Principal } from './access.js';
import type { CasesConfig } from './config.js';
import {
  CaseForbiddenError, CaseInputError, CaseNotFoundError, CaseStateError, LOCAL_BACKEND, SYSTEM_ACTOR, casePatchSchema, closeSchema, newCaseSchema, parseCaseRef,
  type Actor, type CaseClose, type CaseEvent, type CaseEventData, type CaseEventKind, type CaseObservable, type CasePatch, type CaseQuery, type NewCase, type StoredCase,
  SYNCED_KINDS,
} from './model.js';
import { MAX_OBSERVABLES, artifactKeys, newObservables, normalizeObservable, observablesOfAlert, type ObservableInput } from './observables.js';
import { newCaseId, type CaseStore, type NewCaseEvent } from './store.js';
import { CaseEvents } from './events.js';



/** taser itself, for changes nobody asked for (observables of signals appended to a linked alert). */
export const SYSTEM: Principal = { actor: SYSTEM_ACTOR, isMember: async () => true };

export interface CaseServiceDeps {
  store: CaseStore;
  alerts: Pick<AlertStore, 'get'>;
  access: CaseAccess;
  config: CasesConfig;
  logger: Logger;
  /** The enabled backend's name, or undefined when cases live in taser alone. */
  backendName(): string | undefined;
  /** Called after a change the backend must mirror (the sync runs it soon, in order). */
  changed(caseId: string): void;
}

export class CaseService {
  readonly events = new CaseEvents();

  constructor(private readonly deps: CaseServiceDeps) {}

  get store(): CaseStore {
    return this.deps.store;
  }

  /** Creates a case, with its alerts' artifacts as observables. The case is usable at once; the backend follows. */
  async create(who: Principal, input: NewCase): Promise<StoredCase> {
    const parsed = newCaseSchema.safeParse(input);
    if (!parsed.success) throw CaseInputError.fromZod(parsed.error);
    const data = parsed.data;
    await this.allow(who, 'create', { team: data.team });
    const alerts = await this.loadAlerts(data.alertIds, 'alertIds');
    const now = new Date();
    const _id = newCaseId();
    const number = await this.deps.store.claimNumber(_id);
    const backend = this.deps.backendName();
    const doc: StoredCase = {
      _id,
      number,
      title: data.title,
      description: data.description,
      severity: data.severity,
      status: 'open',
      ...(data.team ? { team: data.team } : {}),
      ...(data.assignee ? { assignee: data.assignee } : {}),
      tags: data.tags,
      alertIds: [],
      observables: [],
      artifacts: [],
      createdAt: now,
      createdBy: who.actor,
      updatedAt: now,
      backend: backend ? { name: backend, sync: 'pending', appliedSeq: 0, attempts: 0, nextAttemptAt: now } : { name: LOCAL_BACKEND, sync: 'synced', appliedSeq: 0, attempts: 0 },
      lastSeq: 0,
    };
    await this.deps.store.cases.insertOne(doc);
    const created = await this.record(doc, who.actor, 'created', {
      title: doc.title, description: doc.description, severity: doc.severity, tags: doc.tags,
      ...(doc.team ? { team: doc.team } : {}), ...(doc.assignee ? { assignee: doc.assignee } : {}),
    });
    let current = doc;
    if (alerts.length) current = await this.linkAlerts(current, alerts, who.actor, { announce: false });
    this.events.emit('created', current, created);
    this.deps.changed(_id);
    this.deps.logger.info({ case: _id, number, actor: who.actor, alerts: current.alertIds.length, observables: current.observables.length, backend: doc.backend.name }, 'case created');
    return current;
  }

  /** A case by id, number, "#12", or the text of one of those. */
  async get(ref: string | number): Promise<StoredCase | null> {
    const parsed = typeof ref === 'number' ? { number: ref } : parseCaseRef(ref);
    return parsed ? this.deps.store.find(parsed) : null;
  }

  async require(ref: string | number): Promise<StoredCase> {
    const found = await this.get(ref);
    if (!found) throw new CaseNotFoundError(`There is no case ${typeof ref === 'number' || /^#?\d+$/.test(ref) ? `#${String(ref).replace(/^#/, '')}` : `\`${ref}\``}.`);
    return found;
  }

  list(query: CaseQuery): Promise<{ cases: StoredCase[]; next?: string; prev?: string }> {
    return this.deps.store.search(query);
  }

  forAlert(alertId: string): Promise<StoredCase[]> {
    return this.deps.store.forAlert(alertId);
  }

  forAlerts(alertIds: string[]): Promise<Map<string, StoredCase[]>> {
    return this.deps.store.forAlerts(alertIds);
  }

  /** Title, description, severity, assignee (null: unassigned), tags. Only what changes is recorded. */
  async update(who: Principal, ref: string | number, patch: CasePatch): Promise<StoredCase> {
    const parsed = casePatchSchema.safeParse(patch);
    if (!parsed.success) throw CaseInputError.fromZod(parsed.error);
    const current = await this.require(ref);
    await this.allow(who, 'work', current);
    const changes: CaseEventData['updated']['changes'] = {};
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const key of ['title', 'description', 'severity', 'tags'] as const) {
      const value = parsed.data[key];
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(current[key])) {
        (changes as Record<string, unknown>)[key] = value;
        set[key] = value;
      }
    }
    const assignee = parsed.data.assignee;
    if (assignee !== undefined && assignee !== (current.assignee ?? null)) {
      changes.assignee = assignee;
      if (assignee === null) unset.assignee = '';
      else set.assignee = assignee;
    }
    if (!Object.keys(changes).length) return current;
    await this.deps.store.cases.updateOne({ _id: current._id }, { $set: { ...set, updatedAt: new Date() }, ...(Object.keys(unset).length ? { $unset: unset } : {}) });
    return this.changedWith(current._id, who.actor, 'updated', { changes });
  }

  /** Links alerts to an open case; their artifacts become observables. Alerts already linked are skipped. */
  async addAlerts(who: Principal, ref: string | number, alertIds: string[]): Promise<StoredCase> {
    const current = await this.require(ref);
    await this.allow(who, 'work', current);
    this.requireOpen(current, 'add alerts to it');
    const alerts = await this.loadAlerts(alertIds, 'alertIds');
    return this.linkAlerts(current, alerts, who.actor, { announce: true });
  }

  /** Observables added by hand (field and value, e.g. {field: "ip", value: "10.1.2.3"}). */
  async addObservables(who: Principal, ref: string | number, observables: { field: string; value: string }[]): Promise<StoredCase> {
    const current = await this.require(ref);
    await this.allow(who, 'work', current);
    const inputs: ObservableInput[] = [];
    observables.forEach((o, i) => {
      const n = normalizeObservable(o.field, o.value);
      if (!n) throw new CaseInputError([{ field: `observables.${i}`, message: 'needs a field and a non-empty value' }]);
      inputs.push(n);
    });
    return (await this.storeObservables(current, inputs, who.actor)) ?? current;
  }

  async close(who: Principal, ref: string | number, close: CaseClose): Promise<StoredCase> {
    const parsed = closeSchema.safeParse(close);
    if (!parsed.success) throw CaseInputError.fromZod(parsed.error);
    const current = await this.require(ref);
    await this.allow(who, 'close', current);
    if (current.status === 'closed') throw new CaseStateError(`Case #${current.number} is already closed (${current.resolution}).`);
    const now = new Date();
    await this.deps.store.cases.updateOne(
      { _id: current._id },
      { $set: { status: 'closed', resolution: parsed.data.resolution, summary: parsed.data.summary, closedAt: now, closedBy: who.actor, updatedAt: now } },
    );
    return this.changedWith(current._id, who.actor, 'closed', parsed.data);
  }

  async reopen(who: Principal, ref: string | number): Promise<StoredCase> {
    const current = await this.require(ref);
    await this.allow(who, 'reopen', current);
    if (current.status === 'open') throw new CaseStateError(`Case #${current.number} is open already.`);
    await this.deps.store.cases.updateOne(
      { _id: current._id },
      { $set: { status: 'open', updatedAt: new Date() }, $unset: { resolution: '', summary: '', closedAt: '', closedBy: '' } },
    );
    return this.changedWith(current._id, who.actor, 'reopened', {});
  }

  /** Gives a failed backend sync a fresh set of attempts, from the change that failed (admins). */
  async retrySync(who: Principal, ref: string | number): Promise<StoredCase> {
    const current = await this.require(ref);
    await this.allow(who, 'retry-sync', current);
    if (current.backend.sync !== 'failed') throw new CaseStateError(`Case #${current.number}'s sync is ${current.backend.sync}, not failed: nothing to retry.`);
    await this.deps.store.cases.updateOne(
      { _id: current._id },
      { $set: { 'backend.sync': 'pending', 'backend.attempts': 0, 'backend.nextAttemptAt': new Date(), updatedAt: new Date() }, $unset: { 'backend.failedAt': '' } },
    );
    return this.changedWith(current._id, who.actor, 'sync_retried', {});
  }

  /**
   * Observables of signals appended to alerts that cases hold (the correlation `updated` events of a burst): one
   * read of the cases holding any of them, then one change per case.
   */
  async alertsUpdated(alerts: Pick<StoredAlert, '_id' | 'artifacts'>[]): Promise<void> {
    const byAlert = await this.deps.store.forAlerts(alerts.map((a) => a._id));
    const byCase = new Map<string, { c: StoredCase; inputs: ObservableInput[] }>();
    for (const alert of alerts) {
      for (const c of byAlert.get(alert._id) ?? []) {
        const entry = byCase.get(c._id) ?? { c, inputs: [] };
        entry.inputs.push(...observablesOfAlert(alert));
        byCase.set(c._id, entry);
      }
    }
    for (const { c, inputs } of byCase.values()) await this.storeObservables(c, inputs, SYSTEM_ACTOR);
  }

  /** The link shown with a case: the backend's copy, else `cases.caseUrl`, else none. */
  link(c: Pick<StoredCase, '_id' | 'number' | 'backend'>): string | undefined {
    if (c.backend.url) return c.backend.url;
    return this.deps.config.caseUrl?.replaceAll('{number}', String(c.number)).replaceAll('{id}', c._id);
  }

  /** Records an event that is not a change made here (the sync's progress) and announces it. */
  async recordProgress<K extends CaseEventKind>(caseId: string, kind: K, data: CaseEventData[K]): Promise<void> {
    const event = await this.deps.store.appendEvent(caseId, SYSTEM_ACTOR, kind, data);
    const after = await this.deps.store.get(caseId);
    if (after) this.events.emit('updated', after, event);
  }

  /**
   * Appends an entry of the case log that changes nothing on the case (a channel opened, a channel message):
   * recorded and mirrored to the backend in order like any change, but not announced (no card redraws).
   */
  async appendLog<K extends CaseEventKind>(caseId: string, actor: Actor, kind: K, data: CaseEventData[K]): Promise<CaseEvent<K>> {
    return (await this.appendLogs(caseId, [{ actor, kind, data }]))[0] as CaseEvent<K>;
  }

  /** Several entries in one write (appendEvents); the backend is told once. */
  async appendLogs(caseId: string, items: NewCaseEvent[]): Promise<CaseEvent[]> {
    const events = await this.deps.store.appendEvents(caseId, items);
    if (items.some((item) => SYNCED_KINDS.has(item.kind)) && this.deps.backendName()) {
      await this.deps.store.cases.updateOne({ _id: caseId, 'backend.sync': 'synced', 'backend.name': { $ne: LOCAL_BACKEND } }, { $set: { 'backend.sync': 'pending', 'backend.nextAttemptAt': new Date() } });
      this.deps.changed(caseId);
    }
    return events;
  }

  // ------------------------------------------------------------ internals

  private async allow(who: Principal, action: CaseAction, subject: { team?: string; _id?: string; number?: number }): Promise<void> {
    const refusal = await this.deps.access.refusal(who, action, {
      ...(subject.team ? { team: subject.team } : {}),
      ...(subject._id ? { caseId: subject._id } : {}),
      ...(subject.number !== undefined ? { number: subject.number } : {}),
    });
    if (refusal) throw new CaseForbiddenError(refusal);
  }

  private requireOpen(c: StoredCase, what: string): void {
    if (c.status === 'closed') throw new CaseStateError(`Case #${c.number} is closed: reopen it (\`/case reopen ${c.number}\`) to ${what}.`);
  }

  private async loadAlerts(ids: string[], field: string): Promise<StoredAlert[]> {
    const unique = [...new Set(ids)];
    const found = await Promise.all(unique.map((id) => this.deps.alerts.get(id)));
    const missing = unique.flatMap((id, i) => (found[i] ? [] : [{ field: `${field}.${ids.indexOf(id)}`, message: `no alert ${id}` }]));
    if (missing.length) throw new CaseInputError(missing);
    return found as StoredAlert[];
  }

  private async linkAlerts(current: StoredCase, alerts: StoredAlert[], actor: Actor, options: { announce: boolean }): Promise<StoredCase> {
    const fresh = alerts.filter((a) => !current.alertIds.includes(a._id));
    if (!fresh.length) return current;
    const alertIds = fresh.map((a) => a._id);
    await this.deps.store.cases.updateOne({ _id: current._id }, { $addToSet: { alertIds: { $each: alertIds } }, $set: { updatedAt: new Date() } });
    const event = await this.record(current, actor, 'alerts_added', { alertIds });
    let after = (await this.deps.store.get(current._id))!;
    if (options.announce) this.events.emit('updated', after, event);
    after = (await this.storeObservables(after, fresh.flatMap(observablesOfAlert), actor, options)) ?? after;
    if (options.announce) this.deps.changed(current._id);
    return after;
  }

  /** Adds what the case lacks; returns the case after, or undefined when nothing was new. */
  private async storeObservables(current: StoredCase, candidates: ObservableInput[], actor: Actor, options = { announce: true }): Promise<StoredCase | undefined> {
    let added = newObservables(current.observables, candidates);
    if (!added.length) return undefined;
    const room = MAX_OBSERVABLES - current.observables.length;
    if (added.length > room) {
      this.deps.logger.warn({ case: current._id, dropped: added.length - Math.max(0, room) }, `case observables capped at ${MAX_OBSERVABLES}`);
      added = added.slice(0, Math.max(0, room));
      if (!added.length) return undefined;
    }
    const now = new Date();
    const stored: CaseObservable[] = added.map((o) => ({ ...o, addedAt: now, addedBy: actor }));
    await this.deps.store.cases.updateOne(
      { _id: current._id },
      { $push: { observables: { $each: stored } }, $addToSet: { artifacts: { $each: artifactKeys(added) } }, $set: { updatedAt: now } },
    );
    const event = await this.record(current, actor, 'observables_added', { observables: added });
    const after = (await this.deps.store.get(current._id))!;
    if (options.announce) {
      this.events.emit('updated', after, event);
      this.deps.changed(current._id);
    }
    return after;
  }

  /** Appends the event and, for a change the backend mirrors, marks the sync pending (a failed one stays failed). */
  private async record<K extends CaseEventKind>(c: StoredCase, actor: Actor, kind: K, data: CaseEventData[K]): Promise<CaseEvent<K>> {
    const event = await this.deps.store.appendEvent(c._id, actor, kind, data);
    if (SYNCED_KINDS.has(kind) && c.backend.name !== LOCAL_BACKEND) {
      await this.deps.store.cases.updateOne({ _id: c._id, 'backend.sync': 'synced' }, { $set: { 'backend.sync': 'pending', 'backend.nextAttemptAt': new Date() } });
    }
    return event;
  }

  private async changedWith<K extends CaseEventKind>(caseId: string, actor: Actor, kind: K, data: CaseEventData[K]): Promise<StoredCase> {
    const before = (await this.deps.store.get(caseId))!;
    const event = await this.record(before, actor, kind, data);
    const after = (await this.deps.store.get(caseId))!;
    this.events.emit('updated', after, event);
    this.deps.changed(caseId);
    this.deps.logger.info({ case: caseId, number: after.number, actor, kind }, `case ${kind.replace('_', ' ')}`);
    return after;
  }
}
