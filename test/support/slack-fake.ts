// A local Slack Web API fake: a real HTTP server that the real @slack/web-api client talks to. It parses
// form-encoded bodies (blocks/view as JSON strings inside the form), checks the bearer token, records every
// call, answers in Slack's shapes, and can be told to fail (429 + Retry-After, 5xx, ok:false errors).
// It also serves response_url endpoints (POST JSON) and records what was posted there.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token?: string;
  at: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

export type SlackFailure = { kind: 'ratelimited'; retryAfter: number } | { kind: 'http'; status: number } | { kind: 'error'; error: string };

export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  tz?: string;
  is_bot?: boolean;
  deleted?: boolean;
  profile?: Record<string, unknown>;
}

export interface FakeChannel {
  id: string;
  name: string;
  is_private?: boolean;
  members?: string[];
  is_archived?: boolean;
}

interface StoredMessage {
  ts: string;
  text?: string;
  blocks?: unknown;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  [key: string]: unknown;
}

const JSON_FIELDS = new Set(['blocks', 'view', 'metadata', 'attachments']);

export class SlackFake {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  private readonly failures = new Map<string, { failure: SlackFailure; times: number }[]>();
  private readonly holds = new Map<string, Promise<void>[]>();
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, FakeChannel & { members: string[]; messages: StoredMessage[] }>();
  readonly usergroups = new Map<string, { id: string; handle: string; users: string[] }>();
  private readonly waiters: (() => void)[] = [];
  private tsCounter = 0;
  private idCounter = 0;
  apiUrl = '';
  baseUrl = '';

  constructor(
    private readonly server: Server,
    readonly token: string,
    readonly botUserId: string,
    readonly botId: string,
    readonly teamId: string,
  ) {}

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** A response_url the fake serves; what is posted there lands in `responses`. */
  responseUrl(id = `r${++this.idCounter}`): string {
    return `${this.baseUrl}/response/${id}`;
  }

  failNext(method: string, failure: SlackFailure, times = 1): void {
    const list = this.failures.get(method) ?? [];
    list.push({ failure, times });
    this.failures.set(method, list);
  }

  addUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  addChannel(channel: FakeChannel, options: { botIsMember?: boolean } = {}): void {
    const members = [...(channel.members ?? [])];
    if ((options.botIsMember ?? true) && !members.includes(this.botUserId)) members.push(this.botUserId);
    this.channels.set(channel.id, { ...channel, members, messages: [] });
  }

  addUsergroup(group: { id: string; handle: string; users: string[] }): void {
    this.usergroups.set(group.id, group);
  }

  messagesIn(channel: string): StoredMessage[] {
    return this.channels.get(channel)?.messages ?? [];
  }

  async waitForCall(method: string, predicate: (c: SlackCall) => boolean = () => true, timeoutMs = 5000): Promise<SlackCall> {
    return this.waitFor(() => this.calls.find((c) => c.method === method && predicate(c)), `a ${method} call`, timeoutMs);
  }

  async waitForResponse(predicate: (r: ResponseUrlPost) => boolean = () => true, timeoutMs = 5000): Promise<ResponseUrlPost> {
    return this.waitFor(() => this.responses.find(predicate), 'a response_url post', timeoutMs);
  }

  private async waitFor<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.calls.map((c) => c.method).join(', ') || 'none';
        throw new Error(`Slack fake: timed out after ${timeoutMs} ms waiting for ${what} (calls so far: ${seen}; response_url posts: ${this.responses.length})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.failures.clear();
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Like Slack's: the wall clock in microseconds, unique and increasing (conversations.history's `oldest` relies on it). */
  nextTs(): string {
    this.tsCounter = Math.max(this.tsCounter + 1, Math.floor(Date.now() * 1000));
    return `${Math.floor(this.tsCounter / 1_000_000)}.${String(this.tsCounter % 1_000_000).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    return `${prefix}${String(++this.idCounter).padStart(8, '0')}`;
  }

  /** The next call of `method` is recorded at once but answered only when the returned function is called. */
  holdNext(method: string): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(method, [...(this.holds.get(method) ?? []), gate]);
    return release;
  }

  /** @internal */
  takeHold(method: string): Promise<void> | undefined {
    return this.holds.get(method)?.shift();
  }

  /** @internal */
  takeFailure(method: string): SlackFailure | undefined {
    const list = this.failures.get(method);
    const head = list?.[0];
    if (!head) return undefined;
    head.times -= 1;
    if (head.times <= 0) list!.shift();
    return head.failure;
  }

  /** @internal */
  record(call: SlackCall): void {
    this.calls.push(call);
    this.notify();
  }

  /** @internal */
  recordResponse(post: ResponseUrlPost): void {
    this.responses.push(post);
    this.notify();
  }
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseArgs(req: IncomingMessage, text: string, url: URL): Record<string, unknown> {
  const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    Object.assign(args, text ? (JSON.parse(text) as Record<string, unknown>) : {});
  } else {
    for (const [key, value] of new URLSearchParams(text)) {
      if (JSON_FIELDS.has(key)) {
        try {
          args[key] = JSON.parse(value) as unknown;
          continue;
        } catch {
          // Slack answers invalid_arguments-style errors; keep the raw string so a method can refuse it.
        }
      }
      args[key] = value;
    }
  }
  return args;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export async function startSlackFake(options: { token?: string; botUserId?: string; botId?: string; teamId?: string } = {}): Promise<SlackFake> {
  const server = createServer();
  const fake = new SlackFake(server, options.token ?? 'xoxb-test-token', options.botUserId ?? 'UBOT0001', options.botId ?? 'BBOT0001', options.teamId ?? 'T0TEST01');
  const { methods } = await import('./slack-fake-methods.js');
  const { receiveUpload } = await import('./slack-fake-files.js');
  const oidc = await import('./slack-fake-oidc.js');

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', fake.baseUrl);
      const bytes = await readBytes(req);
      const text = bytes.toString('utf8');
      // The upload URLs files.getUploadURLExternal hands out (slack-fake-files.ts): raw bytes, not a form.
      const upload = /^\/upload\/([^/]+)$/.exec(url.pathname);
      if (upload && req.method === 'POST') {
        const answer = receiveUpload(fake, upload[1]!, bytes);
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        return res.end(answer.text);
      }
      if (oidc.serveOidcPage(fake, req, res, url)) return;
      const response = /^\/response\/([^/]+)$/.exec(url.pathname);
      if (response && req.method === 'POST') {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return send(res, 400, { ok: false, error: 'invalid_json' });
        }
        fake.recordResponse({ id: response[1]!, body });
        return send(res, 200, { ok: true });
      }
      const api = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
      if (!api) return send(res, 404, { ok: false, error: 'not_found' });
      const method = api[1]!;
      let args: Record<string, unknown>;
      try {
        args = parseArgs(req, text, url);
      } catch {
        return send(res, 200, { ok: false, error: 'invalid_json' });
      }
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
      fake.record({ method, args, token, at: Date.now() });
      await fake.takeHold(method);

      const failure = fake.takeFailure(method);
      if (failure?.kind === 'ratelimited') return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
      if (failure?.kind === 'http') return send(res, failure.status, { ok: false, error: 'internal_error' });
      if (failure?.kind === 'error') return send(res, 200, { ok: false, error: failure.error });

      if (!token && !oidc.OIDC_UNAUTHENTICATED_METHODS.has(method)) return send(res, 200, { ok: false, error: 'not_authed' });
      if (token && token !== fake.token) return send(res, 200, { ok: false, error: 'invalid_auth' });
      const handler = methods[method];
      if (!handler) return send(res, 200, { ok: false, error: 'unknown_method' });
      const result = handler(fake, args);
      send(res, 200, 'error' in result ? { ok: false, ...result } : { ok: true, ...result });
    })().catch((err: unknown) => send(res, 500, { ok: false, error: 'fake_crashed', detail: String(err) }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}`;
  fake.apiUrl = `${fake.baseUrl}/api/`;
  return fake;
}
