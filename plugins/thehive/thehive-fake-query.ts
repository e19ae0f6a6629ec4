// The TheHive fake's query API (EXTERNAL_APIS.md §1.6): source, chain, filter, sort, page and count steps
// over the fake's stored entities, with TheHive's operators. Multi-valued fields (tags) match on any value.

/** An entity as TheHive outputs it; `__` keys (organisation, parent) are the fake's own and never sent. */
export type FakeDoc = Record<string, unknown> & { _id: string; _type: string; __org: string; __parent?: string };

export interface FakeStore {
  cases: FakeDoc[];
  observables: FakeDoc[];
  tasks: FakeDoc[];
  logs: FakeDoc[];
  alerts: FakeDoc[];
  customFields: FakeDoc[];
}

export class QueryError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly type = 'BadRequest',
  ) {
    super(message);
  }
}

type Step = Record<string, unknown> & { _name: string };
type Expr = Record<string, unknown>;

/**
 * Runs a query for one organisation: an array of documents, or a number after a `count` step. `lagMs` hides
 * what was created in the last milliseconds, as TheHive 5's search index lags its writes.
 */
export function runQuery(store: FakeStore, organisation: string, steps: unknown, lagMs = 0): FakeDoc[] | number {
  const cutoff = Date.now() - lagMs;
  const visible = (list: FakeDoc[]) => (lagMs > 0 ? list.filter((d) => (d._createdAt as number) <= cutoff) : list);
  if (!Array.isArray(steps) || steps.length === 0) throw new QueryError('Invalid query: `query` must be a non-empty array of steps');
  let docs: FakeDoc[] | undefined;
  for (const raw of steps) {
    if (typeof raw !== 'object' || raw === null || typeof (raw as Step)._name !== 'string') throw new QueryError(`Invalid query step ${JSON.stringify(raw)}`);
    const step = raw as Step;
    const name = step._name.replace(/^_/, '');
    if (docs === undefined) {
      docs = visible(source(store, organisation, step));
      continue;
    }
    switch (name) {
      case 'observables':
      case 'tasks':
      case 'logs':
      case 'alerts':
        docs = visible(chain(store, docs, name));
        break;
      case 'filter':
        docs = docs.filter((d) => matches(d, filterExpr(step)));
        break;
      case 'sort':
        docs = sortDocs(docs, step._fields);
        break;
      case 'page': {
        const from = Number(step.from ?? 0);
        const to = Number(step.to ?? docs.length);
        docs = docs.slice(from, to);
        break;
      }
      case 'count':
        return docs.length;
      default:
        throw new QueryError(`Invalid query: unknown step ${step._name}`);
    }
  }
  return docs ?? [];
}

function source(store: FakeStore, organisation: string, step: Step): FakeDoc[] {
  const inOrg = (d: FakeDoc) => d.__org === organisation;
  const one = (list: FakeDoc[], what: string) => {
    const id = step.idOrName;
    const found = list.find((d) => inOrg(d) && (d._id === id || (d.number !== undefined && String(d.number) === String(id))));
    if (!found) throw new QueryError(`${what} ${String(id)} not found`, 404, 'NotFoundError');
    return [found];
  };
  switch (step._name) {
    case 'listCase':
      return store.cases.filter(inOrg);
    case 'listAlert':
      return store.alerts.filter(inOrg);
    case 'getCase':
      return one(store.cases, 'Case');
    case 'getAlert':
      return one(store.alerts, 'Alert');
    case 'getTask':
      return one(store.tasks, 'Task');
    default:
      throw new QueryError(`Invalid query: ${step._name} cannot start a query`);
  }
}

function chain(store: FakeStore, docs: FakeDoc[], name: 'observables' | 'tasks' | 'logs' | 'alerts'): FakeDoc[] {
  const ids = new Set(docs.map((d) => d._id));
  if (name === 'observables') return store.observables.filter((o) => ids.has(o.__parent as string));
  if (name === 'tasks') return store.tasks.filter((t) => ids.has(t.__parent as string));
  if (name === 'logs') return store.logs.filter((l) => ids.has(l.__parent as string));
  return store.alerts.filter((a) => typeof a.caseId === 'string' && ids.has(a.caseId));
}

/** The filter step's expression: `{_name, _and: [...]}` or the operator at the top of the step. */
function filterExpr(step: Step): Expr {
  const { _name: _, ...rest } = step;
  return rest;
}

const valuesOf = (doc: FakeDoc, field: string): unknown[] => {
  const value = doc[field];
  return Array.isArray(value) ? value : [value];
};

const compare = (a: unknown, b: unknown): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
};

function fieldValue(expr: unknown, op: string): { field: string; value: unknown } {
  const e = expr as { _field?: unknown; _value?: unknown } | undefined;
  if (!e || typeof e._field !== 'string') throw new QueryError(`Invalid filter: ${op} needs _field`);
  return { field: e._field, value: e._value };
}

export function matches(doc: FakeDoc, expr: Expr): boolean {
  const keys = Object.keys(expr);
  if (keys.length === 0) return true;
  return keys.every((op) => {
    const arg = expr[op];
    switch (op) {
      case '_and':
        return (arg as Expr[]).every((e) => matches(doc, e));
      case '_or':
        return (arg as Expr[]).some((e) => matches(doc, e));
      case '_not':
        return !matches(doc, arg as Expr);
      case '_eq': {
        const { field, value } = fieldValue(arg, op);
        return valuesOf(doc, field).some((v) => v === value);
      }
      case '_ne': {
        const { field, value } = fieldValue(arg, op);
        return !valuesOf(doc, field).some((v) => v === value);
      }
      case '_lt':
      case '_gt':
      case '_lte':
      case '_gte': {
        const { field, value } = fieldValue(arg, op);
        return valuesOf(doc, field).some((v) => {
          if (v === undefined || v === null) return false;
          const c = compare(v, value);
          return op === '_lt' ? c < 0 : op === '_gt' ? c > 0 : op === '_lte' ? c <= 0 : c >= 0;
        });
      }
      case '_in': {
        const e = arg as { _field?: string; _values?: unknown[] };
        if (typeof e?._field !== 'string' || !Array.isArray(e._values)) throw new QueryError('Invalid filter: _in needs _field and _values');
        return valuesOf(doc, e._field).some((v) => e._values!.includes(v));
      }
      case '_between': {
        const e = arg as { _field?: string; _from?: unknown; _to?: unknown };
        if (typeof e?._field !== 'string') throw new QueryError('Invalid filter: _between needs _field');
        return valuesOf(doc, e._field).some((v) => v !== undefined && compare(v, e._from) >= 0 && compare(v, e._to) < 0);
      }
      case '_like': {
        const { field, value } = fieldValue(arg, op);
        const pattern = new RegExp(`^${String(value).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
        return valuesOf(doc, field).some((v) => typeof v === 'string' && pattern.test(v));
      }
      case '_startsWith': {
        const { field, value } = fieldValue(arg, op);
        return valuesOf(doc, field).some((v) => typeof v === 'string' && v.startsWith(String(value)));
      }
      case '_has':
        return doc[String(arg)] !== undefined && doc[String(arg)] !== null;
      case '_id':
        return doc._id === arg;
      case '_name':
        return true;
      default:
        if (op.startsWith('_')) throw new QueryError(`Invalid filter operator ${op}`);
        // The shorthand {field: value} is an equality.
        return valuesOf(doc, op).some((v) => v === arg);
    }
  });
}

function sortDocs(docs: FakeDoc[], fields: unknown): FakeDoc[] {
  if (!Array.isArray(fields)) throw new QueryError('Invalid sort: _fields must be an array');
  const order = fields.flatMap((f) => Object.entries(f as Record<string, string>));
  return [...docs].sort((a, b) => {
    for (const [field, dir] of order) {
      const c = compare(a[field], b[field]);
      if (c !== 0) return dir === 'desc' ? -c : c;
    }
    return 0;
  });
}
