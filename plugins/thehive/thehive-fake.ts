// A local TheHive fake for tests (shared/contracts/EXTERNAL_APIS.md §1): a real HTTP server on 127.0.0.1
// serving TheHive 5's or TheHive 4's routes (§1.9), with the API key and X-Organisation checks, TheHive's
// error bodies, and faults on demand: the next N calls answer 500 or 429 with Retry-After, hang past the
// client's timeout, or lose the connection (before or after doing the work); `down()` refuses connections
// until `up()`. What it stored is exposed for assertions.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FakeApi, publish, type FakeDoc, type FakeStore, type RouteAnswer } from './thehive-fake-store.js';

export type { FakeDoc } from './thehive-fake-store.js';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body?: unknown;
}

export type Fault =
  /** Answer this status with TheHive's error body (and Retry-After when given). */
  | { status: number; type?: string; message?: string; retryAfter?: string }
  /** Never answer (the client times out); `process`: do the work first, so only the answer is lost. */
  | { hang: true; process?: boolean }
  /** Close the connection without an answer; `process`: after doing the work. */
  | { drop: true; process?: boolean };

export interface FaultMatch {
  method?: string;
  /** Exact path, or a pattern tested on it. */
  path?: string | RegExp;
}

export interface TheHiveFakeOptions {
  version: 4 | 5;
  /** The API key with write access (default 'thehive-test-key'). */
  apiKey?: string;
  /** Basic auth for taser@example.com with this password (otherwise Bearer only). */
  password?: string;
  /** An API key whose user may only read (403 on writes). */
  readOnlyKey?: string;
  /** Organisations; the first is the users' default (default ['SOC']). */
  organisations?: string[];
  /** Logins TheHive knows, for assignees (default the API users and analyst@example.com). */
  users?: string[];
  /** Custom fields defined at start: name -> type. */
  customFields?: Record<string, string>;
}

export interface TheHiveFake {
  url: string;
  version: 4 | 5;
  apiKey: string;
  store: FakeStore;
  requests: FakeRequest[];
  /** Stored cases (as TheHive outputs them) of one organisation, default the first. */
  cases(organisation?: string): Record<string, unknown>[];
  observables(caseId: string): Record<string, unknown>[];
  tasks(caseId: string): Record<string, unknown>[];
  logs(taskId: string): Record<string, unknown>[];
  alerts(): Record<string, unknown>[];
  /** The next `count` requests matching `match` (default: any) get this fault. */
  failNext(count: number, fault: Fault, match?: FaultMatch): void;
  /** Forgets the faults not used yet. */
  clearFaults(): void;
  /** Stops accepting connections (connection refused) and cuts the open ones. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'taser@example.com';
const READER = 'reader@example.com';

function send(res: ServerResponse, answer: RouteAnswer, headers: Record<string, string> = {}): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(answer.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const pathMatches = (match: FaultMatch, method: string, path: string) =>
  (!match.method || match.method === method) && (!match.path || (typeof match.path === 'string' ? match.path === path : match.path.test(path)));

export async function startTheHiveFake(options: TheHiveFakeOptions): Promise<TheHiveFake> {
  const apiKey = options.apiKey ?? 'thehive-test-key';
  const organisations = options.organisations ?? ['SOC'];
  const users = new Set([USER, READER, 'analyst@example.com', ...(options.users ?? [])]);
  const api = new FakeApi({ version: options.version, users });
  for (const org of organisations) {
    for (const [name, type] of Object.entries(options.customFields ?? {})) {
      api.store.customFields.push({ _id: api.newId(), _type: 'CustomField', __org: org, name, displayName: name, group: 'taser', description: name, type, mandatory: false, options: [] });
    }
  }
  const faults: { match: FaultMatch; fault: Fault }[] = [];
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();

  function authenticate(req: IncomingMessage): { user: string; organisation: string } | RouteAnswer {
    const auth = req.headers.authorization ?? '';
    const basic = options.password !== undefined && auth === `Basic ${Buffer.from(`${USER}:${options.password}`).toString('base64')}`;
    const user = auth === `Bearer ${apiKey}` || basic ? USER : options.readOnlyKey && auth === `Bearer ${options.readOnlyKey}` ? READER : undefined;
    if (!user) return { status: 401, body: { type: 'AuthenticationError', message: 'Authentication failure' } };
    const header = req.headers['x-organisation'];
    const organisation = typeof header === 'string' && header !== '' ? header : organisations[0]!;
    if (!organisations.includes(organisation)) return { status: 403, body: { type: 'AuthorizationError', message: `User ${user} is not a member of organisation ${organisation}` } };
    return { user, organisation };
  }

  function route(req: IncomingMessage, path: string, body: unknown): RouteAnswer {
    const who = authenticate(req);
    if ('status' in who) return who;
    const method = req.method ?? 'GET';
    const writes = method !== 'GET' && path !== '/api/v1/query';
    if (writes && who.user === READER) return { status: 403, body: { type: 'AuthorizationError', message: `Unauthorized action: user ${READER} lacks the permission for ${method} ${path}` } };
    return api.handle({ method, path, body, organisation: who.organisation, user: who.user }) ?? { status: 404, body: { type: 'NotFoundError', message: `No route for ${method} ${path}` } };
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    let badJson = false;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      badJson = true;
      body = raw;
    }
    requests.push({ method, path: url.pathname, query: url.searchParams, headers: req.headers, ...(raw ? { body } : {}) });

    const at = faults.findIndex((f) => pathMatches(f.match, method, url.pathname));
    const fault = at >= 0 ? faults.splice(at, 1)[0]!.fault : undefined;
    if (fault && 'status' in fault) {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
      const type = fault.type ?? (fault.status >= 500 ? 'InternalError' : fault.status === 429 ? 'TooManyRequests' : 'BadRequest');
      return send(res, { status: fault.status, body: { type, message: fault.message ?? `injected ${fault.status}` } }, headers);
    }
    if (fault && !fault.process) return 'hang' in fault ? undefined : req.socket.destroy();
    const answer = badJson ? { status: 400, body: { type: 'BadRequest', message: 'Invalid json' } } : route(req, url.pathname, body);
    if (fault) return 'hang' in fault ? undefined : req.socket.destroy();
    send(res, answer);
  });
  server.keepAliveTimeout = 1_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let listening = true;

  const close = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
    // Let clients in this process see their pooled connections close, so the next call is refused
    // rather than failing on a stale socket.
    await new Promise((resolve) => setTimeout(resolve, 20));
  };

  const org = (o?: string) => o ?? organisations[0]!;
  const children = (list: FakeDoc[], parent: string) => list.filter((d) => d.__parent === parent).map(publish);
  return {
    url: `http://127.0.0.1:${port}`,
    version: options.version,
    apiKey,
    store: api.store,
    requests,
    cases: (o) => api.store.cases.filter((c) => c.__org === org(o)).map(publish),
    observables: (caseId) => children(api.store.observables, caseId),
    tasks: (caseId) => children(api.store.tasks, caseId),
    logs: (taskId) => children(api.store.logs, taskId),
    alerts: () => api.store.alerts.map(publish),
    failNext(count, fault, match = {}) {
      for (let i = 0; i < count; i++) faults.push({ match, fault });
    },
    clearFaults() {
      faults.length = 0;
    },
    down: close,
    async up() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
    stop: close,
  };
}
