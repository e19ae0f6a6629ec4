// The case backend for TheHive 5 and 4 (src/cases/backend.ts, EXTERNAL_APIS.md §1). Each method is safe to
// repeat after a lost answer: a case is found by its taser tag before one is created, a task by title and
// group, a dated task log by message and date, a linked alert by (type, source, sourceRef); observables
// already present are not errors.
import { z } from 'zod';
import {
  CaseBackendError,
  type BackendAlertLink,
  type BackendCase,
  type BackendCaseRef,
  type BackendCasePatch,
  type BackendObservable,
  type BackendTask,
  type CaseBackend,
  type CaseResolution,
} from '../../src/cases/backend.js';
import type { Logger } from '../../src/app/logger.js';
import type { TheHiveConfig } from './config.js';
import { TheHiveHttp, isAlreadyExists } from './http.js';
import { SEVERITY, caseTag, caseTags, closePatch, dataTypeTable, isManagedTag, reopenPatch, toTheHiveObservables, type Mapping, type TheHiveObservable } from './mapping.js';

const customFieldValue = z.looseObject({ name: z.string(), value: z.unknown().optional() });
const outputCase = z.looseObject({
  _id: z.string(),
  number: z.number().int().optional(),
  tags: z.array(z.string()).optional(),
  assignee: z.string().nullish(),
  // TheHive answers the array form; the object form is accepted too.
  customFields: z.union([z.array(customFieldValue), z.record(z.string(), z.unknown())]).optional(),
});
type OutputCase = z.infer<typeof outputCase>;
const withId = z.looseObject({ _id: z.string() });
const outputAlert = z.looseObject({ _id: z.string(), caseId: z.string().nullish() });
const customFieldDef = z.looseObject({ name: z.string(), type: z.string() });

/** TheHive accepts up to 512 characters of title. */
const TITLE_MAX = 512;
/** Observables per POST (TheHive creates one per value of a `data` array). */
const OBSERVABLE_BATCH = 100;
/** How long the list of custom fields defined in TheHive is trusted. */
const CUSTOM_FIELDS_TTL_MS = 5 * 60_000;

export interface TheHiveBackendOptions {
  config: TheHiveConfig;
  apiKey(): string | undefined;
  logger: Logger;
}

const parse = <T>(schema: z.ZodType<T>, body: unknown, where: string): T => {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new CaseBackendError(`${where}: unexpected answer from TheHive: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`, false);
  return parsed.data;
};

export class TheHiveBackend implements CaseBackend {
  readonly name = 'thehive';
  private readonly http: TheHiveHttp;
  private readonly version: 4 | 5;
  private readonly dataTypes: Map<string, Mapping>;
  private customFieldCache?: { at: number; types: Map<string, string> };

  constructor(private readonly options: TheHiveBackendOptions) {
    const { config } = options;
    this.version = config.version;
    this.dataTypes = dataTypeTable(config);
    this.http = new TheHiveHttp({
      url: config.url,
      ...(config.organisation ? { organisation: config.organisation } : {}),
      apiKey: options.apiKey,
      apiKeyEnv: config.apiKeyEnv,
      timeoutMs: config.timeoutMs,
    });
  }

  async createCase(input: BackendCase, signal: AbortSignal): Promise<BackendCaseRef> {
    const found = await this.findCase(input.caseId, signal);
    if (found) {
      await this.assign(found, input.assignee, signal);
      return this.ref(found);
    }
    const customFields = await this.customFieldValues({ caseId: input.caseId, alertIds: input.alertIds.join(', ') }, signal);
    const body = {
      title: input.title.slice(0, TITLE_MAX),
      // TheHive requires a description.
      description: input.description.trim() || input.title,
      severity: SEVERITY[input.severity],
      tlp: this.options.config.tlp,
      pap: this.options.config.pap,
      tags: caseTags(input),
      ...(customFields.length ? { customFields } : {}),
    };
    const created = parse(outputCase, await this.http.call('POST', '/api/v1/case', body, signal), 'TheHive POST /api/v1/case');
    await this.assign(created, input.assignee, signal);
    return this.ref(created);
  }

  async updateCase(ref: BackendCaseRef, patch: BackendCasePatch, signal: AbortSignal): Promise<void> {
    const body: Record<string, unknown> = {};
    if (patch.title !== undefined) body.title = patch.title.slice(0, TITLE_MAX);
    if (patch.description !== undefined) body.description = patch.description.trim() || '-';
    if (patch.severity !== undefined) body.severity = SEVERITY[patch.severity];
    if (patch.assignee !== undefined) body.assignee = patch.assignee;
    if (patch.tags !== undefined) {
      // The case's own tags are replaced; the ones taser manages (its id, the team) stay.
      const current = await this.getCase(ref, signal);
      body.tags = [...new Set([...(current.tags ?? []).filter(isManagedTag), ...patch.tags.filter((t) => !isManagedTag(t))])];
    }
    if (Object.keys(body).length === 0) return;
    await this.patchCase(ref, body, signal);
  }

  async closeCase(ref: BackendCaseRef, close: { resolution: CaseResolution; summary: string }, signal: AbortSignal): Promise<void> {
    await this.patchCase(ref, closePatch(this.version, close, this.options.config.impactStatus), signal);
  }

  async reopenCase(ref: BackendCaseRef, signal: AbortSignal): Promise<void> {
    await this.patchCase(ref, reopenPatch(this.version), signal);
  }

  async addObservables(ref: BackendCaseRef, observables: BackendObservable[], signal: AbortSignal): Promise<void> {
    const mapped = toTheHiveObservables(observables, this.dataTypes, this.options.config.unmappedFields);
    // One POST per (dataType, tags, message) with a `data` array: 200 artifacts in a handful of calls.
    const groups = new Map<string, TheHiveObservable[]>();
    for (const o of mapped) {
      const key = JSON.stringify([o.dataType, o.tags, o.message ?? '']);
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += OBSERVABLE_BATCH) {
        const batch = group.slice(i, i + OBSERVABLE_BATCH);
        if (await this.postObservables(ref, batch, signal)) continue;
        // Some are already there: TheHive refuses the whole batch (or what follows the first), so one by one.
        if (batch.length > 1) for (const one of batch) await this.postObservables(ref, [one], signal);
      }
    }
  }

  async addTask(ref: BackendCaseRef, task: BackendTask, signal: AbortSignal): Promise<{ id: string }> {
    const group = task.group ?? 'default';
    const existing = await this.query(
      [
        { _name: 'getCase', idOrName: ref.id },
        { _name: 'tasks' },
        { _name: 'filter', _and: [{ _eq: { _field: 'title', _value: task.title } }, { _eq: { _field: 'group', _value: group } }] },
        { _name: 'page', from: 0, to: 1 },
      ],
      'taser-find-task',
      signal,
    );
    const first = parse(z.array(withId), existing, 'TheHive POST /api/v1/query (tasks)')[0];
    if (first) return { id: first._id };
    const body = { title: task.title, group, ...(task.description ? { description: task.description } : {}) };
    const created =
      this.version === 5
        ? await this.http.call('POST', `/api/v1/case/${enc(ref.id)}/task`, body, signal)
        : await this.http.call('POST', '/api/v1/task', { ...body, caseId: ref.id }, signal);
    return { id: parse(withId, created, 'TheHive create task')._id };
  }

  async addTaskLog(_ref: BackendCaseRef, taskId: string, log: { message: string; date?: Date }, signal: AbortSignal): Promise<{ id: string }> {
    if (log.date) {
      // A dated log is one event: found again by message and date when its first answer was lost.
      const existing = await this.query(
        [
          { _name: 'getTask', idOrName: taskId },
          { _name: 'logs' },
          { _name: 'filter', _and: [{ _eq: { _field: 'message', _value: log.message } }, { _eq: { _field: 'date', _value: log.date.getTime() } }] },
          { _name: 'page', from: 0, to: 1 },
        ],
        'taser-find-log',
        signal,
      );
      const first = parse(z.array(withId), existing, 'TheHive POST /api/v1/query (logs)')[0];
      if (first) return { id: first._id };
    }
    const body = { message: log.message, ...(log.date ? { startDate: log.date.getTime() } : {}) };
    const created = await this.http.call('POST', `/api/v1/task/${enc(taskId)}/log`, body, signal);
    return { id: parse(withId, created, `TheHive POST /api/v1/task/${taskId}/log`)._id };
  }

  async linkAlert(ref: BackendCaseRef, alert: BackendAlertLink, signal: AbortSignal): Promise<void> {
    const theHiveAlert = await this.ensureAlert(alert, signal);
    if (theHiveAlert.caseId !== ref.id) {
      // TH5 merges in v1; TH4 only in v0 (§1.9).
      const path = this.version === 5 ? `/api/v1/alert/${enc(theHiveAlert._id)}/merge/${enc(ref.id)}` : `/api/alert/${enc(theHiveAlert._id)}/merge/${enc(ref.id)}`;
      await this.http.call('POST', path, undefined, signal);
    }
    await this.recordAlertId(ref, alert.alertId, signal);
  }

  // ---------------------------------------------------------------- helpers

  private ref(c: OutputCase): BackendCaseRef {
    const base = (this.options.config.publicUrl ?? this.options.config.url).replace(/\/+$/, '');
    const url = this.version === 5 ? `${base}/cases/${c._id}/details` : `${base}/index.html#!/case/${c._id}/details`;
    return { id: c._id, url, ...(c.number !== undefined ? { number: c.number } : {}) };
  }

  private async findCase(caseId: string, signal: AbortSignal): Promise<OutputCase | undefined> {
    const found = await this.query(
      [
        { _name: 'listCase' },
        { _name: 'filter', _eq: { _field: 'tags', _value: caseTag(caseId) } },
        { _name: 'sort', _fields: [{ _createdAt: 'asc' }] },
        { _name: 'page', from: 0, to: 1 },
      ],
      'taser-find-case',
      signal,
    );
    return parse(z.array(outputCase), found, 'TheHive POST /api/v1/query (cases)')[0];
  }

  private async getCase(ref: BackendCaseRef, signal: AbortSignal): Promise<OutputCase> {
    const path = `/api/v1/case/${enc(ref.id)}`;
    return parse(outputCase, await this.http.call('GET', path, undefined, signal), `TheHive GET ${path}`);
  }

  private async patchCase(ref: BackendCaseRef, body: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    await this.http.call('PATCH', `/api/v1/case/${enc(ref.id)}`, body, signal);
  }

  private query(steps: unknown[], name: string, signal: AbortSignal): Promise<unknown> {
    return this.http.call('POST', `/api/v1/query?name=${name}`, { query: steps }, signal);
  }

  /**
   * Assigns in its own call so a login TheHive does not know leaves the case created (and logged) rather
   * than failing it for good; a retryable failure still throws, and the retried create assigns again.
   */
  private async assign(c: OutputCase, assignee: string | undefined, signal: AbortSignal): Promise<void> {
    if (!assignee || c.assignee === assignee) return;
    try {
      await this.patchCase({ id: c._id }, { assignee }, signal);
    } catch (err) {
      if (err instanceof CaseBackendError && !err.retryable) {
        this.options.logger.warn({ err, case: c._id, assignee }, 'TheHive refused the assignee: the case stays unassigned there');
        return;
      }
      throw err;
    }
  }

  /** True when created (or all already there); false when TheHive said some already exist. */
  private async postObservables(ref: BackendCaseRef, batch: TheHiveObservable[], signal: AbortSignal): Promise<boolean> {
    const first = batch[0]!;
    const path = `/api/v1/case/${enc(ref.id)}/observable`;
    const body = {
      dataType: first.dataType,
      data: batch.length === 1 ? first.data : batch.map((o) => o.data),
      tags: first.tags,
      tlp: this.options.config.tlp,
      pap: this.options.config.pap,
      ...(first.message ? { message: first.message } : {}),
    };
    const answer = await this.http.send('POST', path, body, signal);
    if (answer.status >= 200 && answer.status < 300) return true;
    if (isAlreadyExists(answer)) return batch.length === 1;
    throw this.http.failure('POST', path, answer);
  }

  /** The TheHive alert standing for a taser alert: created, or found when it exists already. */
  private async ensureAlert(alert: BackendAlertLink, signal: AbortSignal): Promise<z.infer<typeof outputAlert>> {
    const { type, source } = this.options.config.alerts;
    const sourceRef = alert.alertId.slice(0, 128);
    const body = {
      type,
      source,
      sourceRef,
      title: alert.title.slice(0, TITLE_MAX),
      description: `taser alert ${alert.alertId} (${alert.sourceRef})`,
      severity: SEVERITY[alert.severity],
      tlp: this.options.config.tlp,
      pap: this.options.config.pap,
      tags: [`taser:alert:${alert.alertId}`.slice(0, 128), `taser:rule:${alert.sourceRef}`.slice(0, 128)],
    };
    const answer = await this.http.send('POST', '/api/v1/alert', body, signal);
    if (answer.status >= 200 && answer.status < 300) return parse(outputAlert, answer.body, 'TheHive POST /api/v1/alert');
    if (!isAlreadyExists(answer)) throw this.http.failure('POST', '/api/v1/alert', answer);
    const found = await this.query(
      [
        { _name: 'listAlert' },
        {
          _name: 'filter',
          _and: [{ _eq: { _field: 'type', _value: type } }, { _eq: { _field: 'source', _value: source } }, { _eq: { _field: 'sourceRef', _value: sourceRef } }],
        },
        { _name: 'page', from: 0, to: 1 },
      ],
      'taser-find-alert',
      signal,
    );
    const first = parse(z.array(outputAlert), found, 'TheHive POST /api/v1/query (alerts)')[0];
    if (!first) throw new CaseBackendError(`TheHive says alert ${type}:${source}:${sourceRef} exists but the query does not find it`, true);
    return first;
  }

  /** Appends the alert id to the alert-ids custom field, where TheHive has one. */
  private async recordAlertId(ref: BackendCaseRef, alertId: string, signal: AbortSignal): Promise<void> {
    const name = this.options.config.customFields.alertIds;
    if (!name || !(await this.customFieldTypes(signal)).has(name)) return;
    const current = await this.getCase(ref, signal);
    const value = customFieldOf(current, name);
    const ids = typeof value === 'string' && value.trim() ? value.split(',').map((s) => s.trim()) : [];
    if (ids.includes(alertId)) return;
    await this.patchCase(ref, { customFields: [{ name, value: [...ids, alertId].join(', ') }] }, signal);
  }

  /** The custom fields to send on create: only those TheHive defines, with a string type. */
  private async customFieldValues(values: { caseId: string; alertIds: string }, signal: AbortSignal): Promise<{ name: string; value: string }[]> {
    const names = this.options.config.customFields;
    const wanted = [
      { name: names.caseId, value: values.caseId },
      { name: names.alertIds, value: values.alertIds },
    ].filter((f): f is { name: string; value: string } => f.name !== null && f.value !== '');
    if (wanted.length === 0) return [];
    const types = await this.customFieldTypes(signal);
    return wanted.filter((f) => {
      const type = types.get(f.name);
      if (type !== undefined && type !== 'string') this.options.logger.warn({ field: f.name, type }, 'TheHive custom field is not of type string: not filled');
      return type === 'string';
    });
  }

  private async customFieldTypes(signal: AbortSignal): Promise<Map<string, string>> {
    const cached = this.customFieldCache;
    if (cached && Date.now() - cached.at < CUSTOM_FIELDS_TTL_MS) return cached.types;
    let defs: z.infer<typeof customFieldDef>[];
    try {
      defs = parse(z.array(customFieldDef), await this.http.call('GET', '/api/v1/customField', undefined, signal), 'TheHive GET /api/v1/customField');
    } catch (err) {
      if (!(err instanceof CaseBackendError) || err.retryable) throw err;
      // Custom fields are an extra: a user who may not list them still gets cases, without them.
      this.options.logger.warn({ err }, 'cannot list TheHive custom fields: cases are created without them');
      defs = [];
    }
    const types = new Map(defs.map((d) => [d.name, d.type]));
    this.customFieldCache = { at: Date.now(), types };
    return types;
  }
}

function customFieldOf(c: OutputCase, name: string): unknown {
  const fields = c.customFields;
  if (Array.isArray(fields)) return fields.find((f) => f.name === name)?.value;
  const entry = fields?.[name];
  // The object form may carry {type: value} (TH4) or the bare value.
  if (entry && typeof entry === 'object') return Object.values(entry as Record<string, unknown>).find((v) => typeof v === 'string');
  return entry;
}

const enc = encodeURIComponent;
