// Case tests: a case service on a real database, a stored alert to link, and a case backend that keeps its
// cases in memory and can be told to fail, implementing the port as a backend plugin would.
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import type { Db } from 'mongodb';
import type { WebClient } from '@slack/web-api';
import { CaseBackendError, type BackendCase, type BackendCaseRef, type BackendObservable, type CaseBackend } from '../../src/cases/backend.js';
import { casesConfigSchema, type CasesConfig } from '../../src/cases/config.js';
import { buildCases, type Cases } from '../../src/cases/wire.js';
import { emptyRouteTable } from '../../src/plugins/routes.js';
import type { PluginContext } from '../../src/plugins/types.js';
import { AlertStore, type StoredAlert } from '../../src/correlation/alert-store.js';

export const quietLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Everyone is in every group named in `members`; nobody else is in any. */
export const groupAccess = (members: Record<string, string[]>) => ({
  isMember: async (userId: string, groups: readonly string[]) => groups.some((g) => members[g]?.includes(userId)),
});

export function casesOn(db: Db, options: { config?: Partial<CasesConfig>; backend?: CaseBackend; members?: Record<string, string[]>; registry?: Registry; slack?: WebClient } = {}): Cases {
  const config = casesConfigSchema.parse({ soc: ['soc'], admins: ['admins'], teams: { appsec: { members: ['appsec'], leads: ['leads'] } }, ...options.config });
  const cases = buildCases({ db, alerts: new AlertStore(db), access: groupAccess(options.members ?? { soc: ['USOC1'], admins: ['UADMIN1'], appsec: ['UAPPSEC1'], leads: ['ULEAD1'] }), config, logger: quietLogger(), ...(options.registry ? { registry: options.registry } : {}), ...(options.slack ? { slack: options.slack } : {}) });
  const routes = emptyRouteTable();
  if (options.backend) {
    const backend = options.backend;
    routes.caseBackends.push({ namespace: 'memory', folder: 'test', def: { create: () => backend } });
  }
  cases.bindPlugins(routes, new Map([['memory', {} as PluginContext<unknown>]]));
  return cases;
}

let alertSeq = 0;
export async function storeAlert(db: Db, artifacts: Record<string, string[]>, extra: Partial<StoredAlert> = {}): Promise<StoredAlert> {
  const now = new Date();
  const id = (Date.now().toString(16) + (++alertSeq).toString(16).padStart(6, '0')).padStart(24, '0').slice(-24);
  const keys = Object.entries(artifacts).flatMap(([f, vs]) => vs.flatMap((v) => [`${f}=${v}`, v]));
  const alert: StoredAlert = {
    _id: id, ruleId: 'rule-x', ruleVersion: 1, ruleName: 'Rule X', group: { host: 'web01' }, episode: 1, signals: ['t/1'], signalCount: 1,
    firstSeen: now, lastSeen: now, severity: 'high', severityRank: 3, team: 'appsec', status: 'open', active: true, artifacts: keys,
    history: [], createdAt: now, updatedAt: now, ...extra,
  };
  await db.collection<StoredAlert>('alerts').insertOne(alert);
  return alert;
}

export type Failure = { retryable: boolean; status?: number; retryAfterMs?: number };

/** A backend in memory: what a plugin would send to TheHive, recorded; failures queued per method. */
export class MemoryBackend implements CaseBackend {
  readonly name = 'memory';
  readonly cases = new Map<string, BackendCase & { id: string; observables: Map<string, BackendObservable>; status: string; patches: unknown[]; alerts: string[] }>();
  readonly calls: { method: string; caseId?: string; at: number }[] = [];
  private readonly failures: { method: string; failure: Failure }[] = [];
  down = false;

  failNext(method: string, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ method, failure });
  }

  private maybeFail(method: string): void {
    this.calls.push({ method, at: Date.now() });
    if (this.down) throw new CaseBackendError('connect ECONNREFUSED', true);
    const i = this.failures.findIndex((f) => f.method === method || f.method === '*');
    if (i < 0) return;
    const { failure } = this.failures.splice(i, 1)[0]!;
    throw new CaseBackendError(`HTTP ${failure.status ?? 500}`, failure.retryable, { ...(failure.status ? { status: failure.status } : {}), ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}) });
  }

  private get(ref: BackendCaseRef) {
    const c = this.cases.get(ref.id);
    if (!c) throw new CaseBackendError(`no case ${ref.id}`, false, { status: 404 });
    return c;
  }

  async createCase(input: BackendCase): Promise<BackendCaseRef> {
    this.maybeFail('createCase');
    // Idempotent like the real adapter: the case tagged with this taser id, if it exists.
    const existing = [...this.cases.values()].find((c) => c.caseId === input.caseId);
    const id = existing?.id ?? `~${this.cases.size + 1}`;
    if (!existing) this.cases.set(id, { ...input, id, observables: new Map(), status: 'Open', patches: [], alerts: [] });
    return { id, url: `https://cases.example.com/${id}` };
  }
  async updateCase(ref: BackendCaseRef, patch: object): Promise<void> {
    this.maybeFail('updateCase');
    this.get(ref).patches.push(patch);
  }
  async closeCase(ref: BackendCaseRef, close: { resolution: string }): Promise<void> {
    this.maybeFail('closeCase');
    this.get(ref).status = `Resolved:${close.resolution}`;
  }
  async reopenCase(ref: BackendCaseRef): Promise<void> {
    this.maybeFail('reopenCase');
    this.get(ref).status = 'Open';
  }
  async addObservables(ref: BackendCaseRef, observables: BackendObservable[]): Promise<void> {
    this.maybeFail('addObservables');
    const c = this.get(ref);
    for (const o of observables) c.observables.set(`${o.field}=${o.value}`, o);
  }
  /** Tasks by id, with their logs; both idempotent like the real adapter (title and group; message and date). */
  readonly tasks = new Map<string, { caseRef: string; title: string; group: string; logs: { id: string; message: string; date?: number }[] }>();
  async addTask(ref: BackendCaseRef, task: { title: string; group?: string }): Promise<{ id: string }> {
    this.maybeFail('addTask');
    this.get(ref);
    const group = task.group ?? 'default';
    const found = [...this.tasks].find(([, t]) => t.caseRef === ref.id && t.title === task.title && t.group === group);
    if (found) return { id: found[0] };
    const id = `task-${this.tasks.size + 1}`;
    this.tasks.set(id, { caseRef: ref.id, title: task.title, group, logs: [] });
    return { id };
  }
  async addTaskLog(_ref: BackendCaseRef, taskId: string, log: { message: string; date?: Date }): Promise<{ id: string }> {
    this.maybeFail('addTaskLog');
    const task = this.tasks.get(taskId);
    if (!task) throw new CaseBackendError(`no task ${taskId}`, false, { status: 404 });
    const date = log.date?.getTime();
    const same = date === undefined ? undefined : task.logs.find((l) => l.message === log.message && l.date === date);
    if (same) return { id: same.id };
    const id = `${taskId}-log-${task.logs.length + 1}`;
    task.logs.push({ id, message: log.message, ...(date !== undefined ? { date } : {}) });
    return { id };
  }
  async linkAlert(ref: BackendCaseRef, alert: { alertId: string }): Promise<void> {
    this.maybeFail('linkAlert');
    const c = this.get(ref);
    if (!c.alerts.includes(alert.alertId)) c.alerts.push(alert.alertId);
  }
}
