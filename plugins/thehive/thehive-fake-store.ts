// The TheHive fake's data and routes (EXTERNAL_APIS.md §1.2-1.7, §1.9): cases, observables with the
// duplicate error, tasks, task logs, alerts with merge, custom fields. Each route returns the answer the
// server sends (or drops, when a fault says so). Documents are stored as TheHive outputs them; `__` keys
// (organisation, parent) are the fake's own and never sent.
import { QueryError, runQuery, type FakeDoc, type FakeStore } from './thehive-fake-query.js';

export type { FakeDoc, FakeStore } from './thehive-fake-query.js';

export interface RouteAnswer {
  status: number;
  body?: unknown;
}

export interface RouteRequest {
  method: string;
  path: string;
  body: unknown;
  organisation: string;
  user: string;
}

export interface FakeApiOptions {
  version: 4 | 5;
  /** Logins TheHive knows (assignees). */
  users: Set<string>;
  /** Queries do not see what was created in the last `queryLagMs` (TheHive 5's index lag). */
  queryLagMs?: number;
}

const DATA_TYPES = ['autonomous-system', 'domain', 'file', 'filename', 'fqdn', 'hash', 'hostname', 'ip', 'mail', 'mail-subject', 'other', 'regexp', 'registry', 'uri_path', 'url', 'user-agent'];
const TH5_OPEN = ['New', 'InProgress'];
const TH5_CLOSED = ['TruePositive', 'FalsePositive', 'Indeterminate', 'Other', 'Duplicated'];
const TH4_STATUS = ['Open', 'Resolved', 'Duplicated', 'Deleted'];
const TH4_RESOLUTION = ['TruePositive', 'FalsePositive', 'Indeterminate', 'Other', 'Duplicated'];
const IMPACT = ['NotApplicable', 'WithImpact', 'NoImpact'];
const CASE_FIELDS = ['title', 'description', 'severity', 'tlp', 'pap', 'tags', 'flag', 'startDate', 'status', 'assignee', 'summary', 'customFields', 'impactStatus'];
const TH4_ONLY = ['resolutionStatus'];

const error = (status: number, type: string, message: string, extra: Record<string, unknown> = {}): RouteAnswer => ({ status, body: { type, message, ...extra } });
const notFound = (what: string) => error(404, 'NotFoundError', `${what} not found`);
const attrError = (errors: string[]) => error(400, 'AttributeCheckingError', errors.join(', '), { errors: errors.map((message) => ({ message })) });

/** The output of a stored document: without the fake's `__` keys. */
export function publish(doc: FakeDoc): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith('__')));
}

export class FakeApi {
  readonly store: FakeStore = { cases: [], observables: [], tasks: [], logs: [], alerts: [], customFields: [] };
  private nextId = 40_960;
  private nextNumber = 1;

  constructor(private readonly options: FakeApiOptions) {}

  newId(): string {
    this.nextId += 8;
    return `~${this.nextId * 1000}`;
  }

  private base(type: string, req: RouteRequest, parent?: string): FakeDoc {
    return { _id: this.newId(), _type: type, _createdBy: req.user, _createdAt: Date.now(), __org: req.organisation, ...(parent ? { __parent: parent } : {}) };
  }

  /** Answers one API request; undefined when no route matches. */
  handle(req: RouteRequest): RouteAnswer | undefined {
    const { method, path } = req;
    const v5 = this.options.version === 5;
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/api/v1/query') return this.query(req);
    if (method === 'GET' && path === '/api/v1/customField') return { status: 200, body: this.store.customFields.filter((f) => f.__org === req.organisation).map(publish) };
    if (method === 'POST' && path === '/api/v1/customField') return this.createCustomField(req);
    if (method === 'POST' && path === '/api/v1/case') return this.createCase(req);
    if ((m = path.match(/^\/api\/v1\/case\/([^/]+)$/))) {
      const c = this.findCase(req, decodeURIComponent(m[1]!));
      if (!c) return notFound(`Case ${decodeURIComponent(m[1]!)}`);
      if (method === 'GET') return { status: 200, body: publish(c) };
      if (method === 'PATCH') return this.patchCase(c, req);
    }
    if (method === 'POST' && (m = path.match(/^\/api\/v1\/case\/([^/]+)\/observable$/))) {
      return this.createObservables(req, this.findCase(req, decodeURIComponent(m[1]!)), `Case ${decodeURIComponent(m[1]!)}`);
    }
    // Alert observables: TH5 `/observable`; TH4's v1 alert body has none, it adds them with `/artifact` (§1.9).
    if (method === 'POST' && (m = path.match(v5 ? /^\/api\/v1\/alert\/([^/]+)\/observable$/ : /^\/api\/v1\/alert\/([^/]+)\/artifact$/))) {
      const alert = this.findAlert(req, decodeURIComponent(m[1]!));
      const answer = this.createObservables(req, alert, `Alert ${decodeURIComponent(m[1]!)}`);
      if (alert && answer.status === 201) alert.observableCount = this.store.observables.filter((o) => o.__parent === alert._id).length;
      return answer;
    }
    const promotePath = v5 ? /^\/api\/v1\/alert\/([^/]+)\/case$/ : /^\/api\/(?:v1\/alert\/([^/]+)\/case|alert\/([^/]+)\/createCase)$/;
    if (method === 'POST' && (m = path.match(promotePath))) return this.promoteAlert(req, decodeURIComponent((m[1] ?? m[2])!));
    if (v5 && method === 'POST' && (m = path.match(/^\/api\/v1\/case\/([^/]+)\/task$/))) return this.createTask(req, decodeURIComponent(m[1]!));
    if (!v5 && method === 'POST' && path === '/api/v1/task') {
      const caseId = (req.body as { caseId?: unknown } | undefined)?.caseId;
      if (typeof caseId !== 'string') return attrError(['caseId: required']);
      return this.createTask(req, caseId);
    }
    if (method === 'POST' && (m = path.match(/^\/api\/v1\/task\/([^/]+)\/log$/))) return this.createLog(req, decodeURIComponent(m[1]!));
    if (method === 'POST' && path === '/api/v1/alert') return this.createAlert(req);
    if (method === 'GET' && (m = path.match(/^\/api\/v1\/alert\/([^/]+)$/))) {
      const alert = this.findAlert(req, decodeURIComponent(m[1]!));
      return alert ? { status: 200, body: publish(alert) } : notFound('Alert');
    }
    const mergePath = v5 ? /^\/api\/v1\/alert\/([^/]+)\/merge\/([^/]+)$/ : /^\/api\/alert\/([^/]+)\/merge\/([^/]+)$/;
    if (method === 'POST' && (m = path.match(mergePath))) return this.mergeAlert(req, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    return undefined;
  }

  findCase(req: { organisation: string }, idOrName: string): FakeDoc | undefined {
    return this.store.cases.find((c) => c.__org === req.organisation && (c._id === idOrName || String(c.number) === idOrName));
  }

  private findAlert(req: { organisation: string }, id: string): FakeDoc | undefined {
    return this.store.alerts.find((a) => a._id === id && a.__org === req.organisation);
  }

  private query(req: RouteRequest): RouteAnswer {
    const body = req.body as { query?: unknown } | undefined;
    try {
      const result = runQuery(this.store, req.organisation, body?.query, this.options.queryLagMs);
      return { status: 200, body: typeof result === 'number' ? result : result.map(publish) };
    } catch (err) {
      if (err instanceof QueryError) return error(err.status, err.type, err.message);
      throw err;
    }
  }

  private createCustomField(req: RouteRequest): RouteAnswer {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const missing = ['name', 'group', 'description', 'type'].filter((k) => typeof b[k] !== 'string');
    if (missing.length) return attrError(missing.map((k) => `${k}: required`));
    if (!['string', 'integer', 'float', 'boolean', 'date', 'url'].includes(b.type as string)) return attrError([`type: invalid value ${String(b.type)}`]);
    if (this.store.customFields.some((f) => f.name === b.name && f.__org === req.organisation)) return error(400, 'CreateError', `CustomField ${String(b.name)} already exists`);
    const doc = { ...this.base('CustomField', req), name: b.name, displayName: b.displayName ?? b.name, group: b.group, description: b.description, type: b.type, mandatory: b.mandatory ?? false, options: b.options ?? [] };
    this.store.customFields.push(doc);
    return { status: 201, body: publish(doc) };
  }

  /** `{name: value}` or `[{name, value, order?}]` to TheHive's output form, checking names and types. */
  private customFieldValues(req: RouteRequest, input: unknown, errors: string[]): Record<string, unknown>[] {
    const entries: [string, unknown, number | undefined][] = Array.isArray(input)
      ? input.map((e: { name?: unknown; value?: unknown; order?: unknown }) => [String(e?.name), e?.value, typeof e?.order === 'number' ? e.order : undefined])
      : Object.entries((input ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v, undefined]);
    return entries.flatMap(([name, value, order], index) => {
      const def = this.store.customFields.find((f) => f.name === name && f.__org === req.organisation);
      if (!def) {
        errors.push(`customFields.${name}: CustomField ${name} not found`);
        return [];
      }
      const ok = value === null || (def.type === 'string' || def.type === 'url' ? typeof value === 'string' : def.type === 'boolean' ? typeof value === 'boolean' : typeof value === 'number');
      if (!ok) errors.push(`customFields.${name}: invalid ${String(def.type)} value ${JSON.stringify(value)}`);
      return [{ _id: `${def._id}:${name}`, name, type: def.type, value, order: order ?? index }];
    });
  }

  private checkCaseFields(b: Record<string, unknown>, errors: string[]): void {
    if (b.title !== undefined && (typeof b.title !== 'string' || b.title.length < 1 || b.title.length > 512)) errors.push('title: must be 1 to 512 characters');
    if (b.description !== undefined && typeof b.description !== 'string') errors.push('description: must be a string');
    if (b.severity !== undefined && (!Number.isInteger(b.severity) || (b.severity as number) < 1 || (b.severity as number) > 4)) errors.push('severity: must be 1 to 4');
    if (b.tlp !== undefined && (!Number.isInteger(b.tlp) || (b.tlp as number) < 0 || (b.tlp as number) > 4)) errors.push('tlp: must be 0 to 4');
    if (b.pap !== undefined && (!Number.isInteger(b.pap) || (b.pap as number) < 0 || (b.pap as number) > 3)) errors.push('pap: must be 0 to 3');
    for (const key of ['tags', 'addTags', 'removeTags']) {
      const tags = b[key];
      if (tags !== undefined && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length > 128))) errors.push(`${key}: must be strings of at most 128 characters`);
    }
    if (typeof b.assignee === 'string' && !this.options.users.has(b.assignee)) errors.push(`assignee: user ${b.assignee} not found`);
  }

  private createCase(req: RouteRequest): RouteAnswer {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const errors: string[] = [];
    if (typeof b.title !== 'string') errors.push('title: required');
    if (typeof b.description !== 'string') errors.push('description: required');
    this.checkCaseFields(b, errors);
    const customFields = this.customFieldValues(req, b.customFields, errors);
    if (errors.length) return attrError(errors);
    const v5 = this.options.version === 5;
    const doc: FakeDoc = {
      ...this.base('Case', req),
      number: this.nextNumber++,
      title: b.title,
      description: b.description,
      severity: b.severity ?? 2,
      startDate: b.startDate ?? Date.now(),
      tags: [...new Set((b.tags as string[] | undefined) ?? [])],
      flag: b.flag ?? false,
      tlp: b.tlp ?? 2,
      pap: b.pap ?? 2,
      ...(v5 ? { status: 'New', stage: 'New' } : { status: 'Open' }),
      ...(typeof b.assignee === 'string' ? { assignee: b.assignee } : {}),
      customFields,
    };
    this.store.cases.push(doc);
    return { status: 201, body: publish(doc) };
  }

  private patchCase(c: FakeDoc, req: RouteRequest): RouteAnswer {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const v5 = this.options.version === 5;
    const allowed = [...CASE_FIELDS, 'addTags', 'removeTags', ...(v5 ? [] : TH4_ONLY)];
    const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
    if (unknown.length) return error(400, 'BadRequest', `Invalid fields for a case update: ${unknown.join(', ')}`);
    const errors: string[] = [];
    this.checkCaseFields(b, errors);
    if (b.status !== undefined) {
      const statuses = v5 ? [...TH5_OPEN, ...TH5_CLOSED] : TH4_STATUS;
      if (!statuses.includes(b.status as string)) errors.push(`status: invalid value ${String(b.status)}`);
      if (!v5 && b.status === 'Resolved' && !TH4_RESOLUTION.includes((b.resolutionStatus ?? c.resolutionStatus) as string)) errors.push('resolutionStatus: required to resolve a case');
    }
    if (b.resolutionStatus !== undefined && !TH4_RESOLUTION.includes(b.resolutionStatus as string)) errors.push(`resolutionStatus: invalid value ${String(b.resolutionStatus)}`);
    if (b.impactStatus !== undefined && !IMPACT.includes(b.impactStatus as string)) errors.push(`impactStatus: invalid value ${String(b.impactStatus)}`);
    const fields = b.customFields !== undefined ? this.customFieldValues(req, b.customFields, errors) : [];
    if (errors.length) return attrError(errors);
    for (const key of CASE_FIELDS) if (b[key] !== undefined && key !== 'customFields') c[key] = b[key];
    if (b.assignee === null) delete c.assignee;
    if (!v5 && b.resolutionStatus !== undefined) c.resolutionStatus = b.resolutionStatus;
    let tags = (c.tags as string[]).filter((t) => !((b.removeTags as string[] | undefined) ?? []).includes(t));
    tags = [...new Set([...tags, ...((b.addTags as string[] | undefined) ?? [])])];
    c.tags = tags;
    // Named custom fields get their new values; the others stay.
    const current = c.customFields as Record<string, unknown>[];
    for (const f of fields) {
      const at = current.findIndex((x) => x.name === f.name);
      if (at >= 0) current[at] = { ...f, order: current[at]!.order };
      else current.push(f);
    }
    if (b.status !== undefined) {
      if (v5) c.stage = TH5_CLOSED.includes(b.status as string) ? 'Closed' : b.status;
      else if (b.status === 'Open') delete c.resolutionStatus;
      const closing = v5 ? c.stage === 'Closed' : b.status !== 'Open';
      if (closing) c.endDate = Date.now();
      else delete c.endDate;
    }
    c._updatedBy = req.user;
    c._updatedAt = Date.now();
    return { status: 204 };
  }

  /** Observables of a case or an alert (`parent`). */
  private createObservables(req: RouteRequest, parent: FakeDoc | undefined, what: string): RouteAnswer {
    const c = parent;
    if (!c) return notFound(what);
    const b = (req.body ?? {}) as Record<string, unknown>;
    const errors: string[] = [];
    if (typeof b.dataType !== 'string') errors.push('dataType: required');
    else if (!DATA_TYPES.includes(b.dataType)) return error(400, 'BadRequest', `ObservableType ${b.dataType} not found`);
    const data = Array.isArray(b.data) ? b.data : [b.data];
    if (data.length === 0 || data.some((d) => typeof d !== 'string' || d === '')) errors.push('data: must be a non-empty string or array of strings');
    if (errors.length) return attrError(errors);
    const created: FakeDoc[] = [];
    // One by one, like TheHive: the values before a duplicate are created, the duplicate fails the request.
    for (const value of data as string[]) {
      if (this.store.observables.some((o) => o.__parent === c._id && o.dataType === b.dataType && o.data === value)) {
        return error(400, 'CreateError', 'Observable already exists', { object: { dataType: b.dataType, data: value } });
      }
      const doc: FakeDoc = {
        ...this.base('Observable', req, c._id),
        dataType: b.dataType,
        data: value,
        startDate: Date.now(),
        tlp: b.tlp ?? 2,
        pap: b.pap ?? 2,
        tags: (b.tags as string[] | undefined) ?? [],
        ioc: b.ioc ?? false,
        sighted: b.sighted ?? false,
        reports: {},
        message: b.message,
        extraData: {},
        ignoreSimilarity: b.ignoreSimilarity ?? false,
      };
      this.store.observables.push(doc);
      created.push(doc);
    }
    return { status: 201, body: created.map(publish) };
  }

  private createTask(req: RouteRequest, caseIdOrName: string): RouteAnswer {
    const c = this.findCase(req, caseIdOrName);
    if (!c) return notFound(`Case ${caseIdOrName}`);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.title !== 'string' || b.title.length < 1 || b.title.length > 128) return attrError(['title: must be 1 to 128 characters']);
    const doc: FakeDoc = {
      ...this.base('Task', req, c._id),
      title: b.title,
      group: typeof b.group === 'string' ? b.group : 'default',
      description: b.description,
      status: typeof b.status === 'string' ? b.status : 'Waiting',
      flag: b.flag ?? false,
      order: b.order ?? 0,
      mandatory: b.mandatory ?? false,
      extraData: {},
    };
    this.store.tasks.push(doc);
    return { status: 201, body: publish(doc) };
  }

  private createLog(req: RouteRequest, taskId: string): RouteAnswer {
    const task = this.store.tasks.find((t) => t._id === taskId && t.__org === req.organisation);
    if (!task) return notFound(`Task ${taskId}`);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.message !== 'string' || b.message === '') return attrError(['message: required']);
    const doc: FakeDoc = { ...this.base('Log', req, task._id), message: b.message, date: typeof b.startDate === 'number' ? b.startDate : Date.now(), owner: req.user, extraData: {} };
    this.store.logs.push(doc);
    return { status: 201, body: publish(doc) };
  }

  private createAlert(req: RouteRequest): RouteAnswer {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const errors: string[] = [];
    for (const [key, max] of [['type', 32], ['source', 32], ['sourceRef', 128]] as const) {
      if (typeof b[key] !== 'string' || (b[key] as string).length < 1 || (b[key] as string).length > max) errors.push(`${key}: must be 1 to ${max} characters`);
    }
    if (typeof b.title !== 'string') errors.push('title: required');
    if (typeof b.description !== 'string') errors.push('description: required');
    if (this.options.version === 4 && b.observables !== undefined) errors.push('observables: unknown attribute in TheHive 4');
    if (errors.length) return attrError(errors);
    const org = req.organisation;
    if (this.store.alerts.some((a) => a.__org === org && a.type === b.type && a.source === b.source && a.sourceRef === b.sourceRef)) {
      return error(400, 'CreateError', `Alert ${String(b.type)}:${String(b.source)}:${String(b.sourceRef)} already exist in organisation ${org}`);
    }
    const v5 = this.options.version === 5;
    const doc: FakeDoc = {
      ...this.base('Alert', req),
      type: b.type,
      source: b.source,
      sourceRef: b.sourceRef,
      title: b.title,
      description: b.description,
      severity: b.severity ?? 2,
      date: b.date ?? Date.now(),
      tags: (b.tags as string[] | undefined) ?? [],
      tlp: b.tlp ?? 2,
      pap: b.pap ?? 2,
      follow: true,
      observableCount: 0,
      ...(v5 ? { status: 'New', stage: 'New' } : { read: false }),
    };
    this.store.alerts.push(doc);
    return { status: 201, body: publish(doc) };
  }

  private mergeAlert(req: RouteRequest, alertId: string, caseIdOrName: string): RouteAnswer {
    const alert = this.store.alerts.find((a) => a._id === alertId && a.__org === req.organisation);
    if (!alert) return notFound(`Alert ${alertId}`);
    const c = this.findCase(req, caseIdOrName);
    if (!c) return notFound(`Case ${caseIdOrName}`);
    if (alert.caseId !== undefined && alert.caseId !== c._id) return error(400, 'BadRequest', `Alert ${alertId} is already imported in case ${String(alert.caseId)}`);
    this.importAlert(alert, c);
    return { status: 200, body: publish(c) };
  }

  /** A new case from the alert (body: optional overrides), with the alert's observables; the alert points to it. */
  private promoteAlert(req: RouteRequest, alertId: string): RouteAnswer {
    const alert = this.findAlert(req, alertId);
    if (!alert) return notFound(`Alert ${alertId}`);
    if (alert.caseId !== undefined) return error(400, 'BadRequest', `Alert ${alertId} is already imported in case ${String(alert.caseId)}`);
    const overrides = (req.body ?? {}) as Record<string, unknown>;
    const answer = this.createCase({ ...req, body: { title: alert.title, description: alert.description, severity: alert.severity, tags: alert.tags, tlp: alert.tlp, pap: alert.pap, ...overrides } });
    if (answer.status !== 201) return answer;
    this.importAlert(alert, this.findCase(req, (answer.body as { _id: string })._id)!);
    return answer;
  }

  /** The alert's observables join the case (those it lacks), and the alert points to the case. */
  private importAlert(alert: FakeDoc, c: FakeDoc): void {
    const inCase = this.store.observables.filter((o) => o.__parent === c._id);
    for (const o of this.store.observables.filter((x) => x.__parent === alert._id)) {
      if (!inCase.some((x) => x.dataType === o.dataType && x.data === o.data)) this.store.observables.push({ ...o, _id: this.newId(), __parent: c._id });
    }
    alert.caseId = c._id;
    if (this.options.version === 5) Object.assign(alert, { status: 'Imported', stage: 'Imported' });
    else alert.read = true;
  }
}
