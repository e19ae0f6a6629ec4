// A local PagerDuty fake for tests (shared/contracts/EXTERNAL_APIS.md section 3): a real HTTP server on
// 127.0.0.1 that checks the REST headers, serves GET /oncalls with PagerDuty's filters, include[]=users,
// earliest and limit/offset/more pagination, accepts POST /v2/enqueue events, and fails on demand with
// PagerDuty's error bodies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePdUser {
  id: string;
  name: string;
  email: string;
}

export interface FakeOncall {
  userId: string;
  escalationPolicyId: string;
  escalationLevel: number;
  /** null: a permanent on-call (the user is a direct escalation target). */
  schedule: { id: string; summary: string } | null;
  start: string | null;
  end: string | null;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body?: unknown;
}

export type FakeFailure = { status: number; code?: number; message?: string; errors?: string[]; /** seconds, sent as Retry-After */ retryAfter?: number };

const ACCEPT = 'application/vnd.pagerduty+json;version=2';

export interface PagerDutyFake {
  url: string;
  users: Map<string, FakePdUser>;
  oncalls: FakeOncall[];
  requests: FakeRequest[];
  /** Events accepted by POST /v2/enqueue. */
  events: Record<string, unknown>[];
  /** The next request to `path` fails with this status and PagerDuty's error body. */
  failNext(path: string, failure: FakeFailure): void;
  /** Down: every request's connection is dropped without an answer, until set back to false. */
  setDown(down: boolean): void;
  /** Events API requests that reached the fake (accepted or not). */
  enqueueAttempts(): number;
  /** The next request to `path` gets no answer until released; `closed` resolves when the client hangs up. */
  holdNext(path: string): { closed: Promise<void>; release(): void };
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const restError = (res: ServerResponse, status: number, message: string, code: number, errors: string[] = []) =>
  send(res, status, { error: { message, code, errors } });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPagerDutyFake(options: { token: string }): Promise<PagerDutyFake> {
  const failures = new Map<string, FakeFailure[]>();
  let down = false;
  const holds = new Map<string, { onRequest(req: IncomingMessage, res: ServerResponse): void }[]>();

  const fake = {
    url: '',
    users: new Map<string, FakePdUser>(),
    oncalls: [] as FakeOncall[],
    requests: [] as FakeRequest[],
    events: [] as Record<string, unknown>[],
  };

  function listOncalls(query: URLSearchParams, res: ServerResponse) {
    const limit = Number(query.get('limit') ?? 25);
    const offset = Number(query.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return restError(res, 400, 'Invalid Input Provided', 2001, ['Limit must be between 1 and 100.']);
    if (!Number.isInteger(offset) || offset < 0 || offset + limit > 10_000) return restError(res, 400, 'Invalid Input Provided', 2001, ['Offset + limit must be at most 10000.']);
    const policies = query.getAll('escalation_policy_ids[]');
    const schedules = query.getAll('schedule_ids[]');
    const users = query.getAll('user_ids[]');
    const include = query.getAll('include[]');
    // Different filters combine with AND, as in PagerDuty.
    let matching = fake.oncalls.filter(
      (o) =>
        (!policies.length || policies.includes(o.escalationPolicyId)) &&
        (!schedules.length || (o.schedule !== null && schedules.includes(o.schedule.id))) &&
        (!users.length || users.includes(o.userId)),
    );
    if (query.get('earliest') === 'true') {
      const earliest = new Map<string, FakeOncall>();
      for (const o of matching) {
        const key = `${o.escalationPolicyId}|${o.escalationLevel}|${o.userId}`;
        const known = earliest.get(key);
        if (!known || (o.start ?? '') < (known.start ?? '')) earliest.set(key, o);
      }
      matching = matching.filter((o) => earliest.get(`${o.escalationPolicyId}|${o.escalationLevel}|${o.userId}`) === o);
    }
    const page = matching.slice(offset, offset + limit).map((o) => {
      const user = fake.users.get(o.userId) ?? { id: o.userId, name: o.userId, email: `${o.userId}@unknown.example` };
      return {
        user: include.includes('users')
          ? { id: user.id, type: 'user', summary: user.name, name: user.name, email: user.email, self: `${fake.url}/users/${user.id}` }
          : { id: user.id, type: 'user_reference', summary: user.name, self: `${fake.url}/users/${user.id}` },
        schedule: o.schedule ? { id: o.schedule.id, type: 'schedule_reference', summary: o.schedule.summary } : null,
        escalation_policy: { id: o.escalationPolicyId, type: 'escalation_policy_reference', summary: `EP ${o.escalationPolicyId}` },
        escalation_level: o.escalationLevel,
        start: o.start,
        end: o.end,
      };
    });
    send(res, 200, { oncalls: page, limit, offset, more: offset + limit < matching.length, total: null });
  }

  function enqueue(body: unknown, res: ServerResponse) {
    const invalid = (errors: string[]) => send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
    if (typeof body !== 'object' || body === null) return invalid(['Event must be a JSON object']);
    const e = body as Record<string, unknown>;
    const errors: string[] = [];
    if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errors.push("'routing_key' is invalid");
    if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action as string)) errors.push("'event_action' is invalid");
    if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)) errors.push("'dedup_key' is invalid");
    if (e.event_action === 'trigger') {
      const p = e.payload as Record<string, unknown> | undefined;
      if (!p || typeof p !== 'object') errors.push("'payload' is missing");
      else {
        if (typeof p.summary !== 'string' || p.summary === '' || p.summary.length > 1024) errors.push("'payload.summary' is invalid");
        if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing");
        if (!['critical', 'error', 'warning', 'info'].includes(p.severity as string)) errors.push("'payload.severity' is invalid");
      }
    } else if (typeof e.dedup_key !== 'string') errors.push("'dedup_key' is required");
    if (errors.length) return invalid(errors);
    fake.events.push(e);
    const dedupKey = typeof e.dedup_key === 'string' ? e.dedup_key : `fake-${fake.events.length}`;
    send(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    fake.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, ...(raw ? { body } : {}) });
    if (down) return void req.socket.destroy();

    const hold = holds.get(url.pathname)?.shift();
    if (hold) return hold.onRequest(req, res);
    const failure = failures.get(url.pathname)?.shift();
    if (failure) {
      if (url.pathname === '/v2/enqueue') return send(res, failure.status, { status: 'error', message: failure.message ?? 'failure', errors: failure.errors ?? [] }, failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
      return restError(res, failure.status, failure.message ?? 'Failure', failure.code ?? 0, failure.errors ?? []);
    }

    if (req.method === 'POST' && url.pathname === '/v2/enqueue') return enqueue(body, res);
    // Everything else is the REST API: it wants the API key and the versioned Accept header.
    if (req.headers.authorization !== `Token token=${options.token}`) return restError(res, 401, 'Unauthorized', 2006, ['Authentication failed']);
    if (req.headers.accept !== ACCEPT) return restError(res, 400, 'Invalid Input Provided', 2001, [`Accept must be ${ACCEPT}`]);
    if (req.method === 'GET' && url.pathname === '/oncalls') return listOncalls(url.searchParams, res);
    restError(res, 404, 'Not Found', 2100);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(fake, {
    failNext(path: string, failure: FakeFailure) {
      failures.set(path, [...(failures.get(path) ?? []), failure]);
    },
    setDown(value: boolean) {
      down = value;
    },
    enqueueAttempts() {
      return fake.requests.filter((r) => r.path === '/v2/enqueue').length;
    },
    holdNext(path: string) {
      let release = () => {};
      let closed!: () => void;
      const closedPromise = new Promise<void>((resolve) => (closed = resolve));
      holds.set(path, [
        ...(holds.get(path) ?? []),
        {
          onRequest(_req: IncomingMessage, res: ServerResponse) {
            res.on('close', () => closed());
            release = () => send(res, 200, { oncalls: [], limit: 100, offset: 0, more: false, total: null });
          },
        },
      ]);
      return { closed: closedPromise, release: () => release() };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
