// Test support: a local fake of the two Okta APIs the plugin uses, following Okta's shapes: SSWS tokens,
// System Log pages with `Link: <...>; rel="next"` (also on an empty page, as for polling queries), Users by
// id or login, and Okta's error bodies ({ errorCode, errorSummary }). Not loaded by the plugin.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: string;
  status?: string;
  lastUpdated?: string;
  profile: Record<string, string | undefined>;
}

export interface FakeOkta {
  url: string;
  /** Path and query of every request, in order. */
  served: { path: string; authorization?: string }[];
  /** The System Log, oldest first; `after` in the cursor is an index into it. */
  log: unknown[];
  users: FakeUser[];
  /** The next N requests answer this status with an Okta error body. */
  failNext(status: number, count?: number): void;
  /** Requests for this user id/login never get an answer (for abort tests). */
  hangOn: Set<string>;
  close(): Promise<void>;
}

const TOKEN = 'test-okta-token';
export const FAKE_OKTA_TOKEN = TOKEN;

function oktaError(res: ServerResponse, status: number, code: string, summary: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oae-fake', errorCauses: [] }));
}

export async function startFakeOkta(): Promise<FakeOkta> {
  let failures: { status: number; count: number } | undefined;
  let server: Server | undefined;
  const fake: FakeOkta = {
    url: '',
    served: [],
    log: [],
    users: [],
    hangOn: new Set(),
    failNext(status, count = 1) {
      failures = { status, count };
    },
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://fake');
    fake.served.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    if (req.headers.authorization !== `SSWS ${TOKEN}`) return oktaError(res, 401, 'E0000011', 'Invalid token provided');
    if (failures && failures.count > 0) {
      failures.count--;
      if (failures.status === 429) return oktaError(res, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.', { 'x-rate-limit-reset': '1700000000' });
      return oktaError(res, failures.status, 'E0000009', 'Internal Server Error');
    }

    if (url.pathname === '/api/v1/logs') {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const after = Number(url.searchParams.get('after') ?? 0);
      const page = fake.log.slice(after, after + limit);
      const next = new URL(url);
      next.searchParams.set('after', String(after + page.length));
      // Two Link header lines, as Okta sends them.
      res.writeHead(200, { 'content-type': 'application/json', link: [`<${fake.url}${url.pathname}${url.search}>; rel="self"`, `<${fake.url}${next.pathname}${next.search}>; rel="next"`] });
      return res.end(JSON.stringify(page));
    }

    const user = /^\/api\/v1\/users\/([^/]+)$/.exec(url.pathname);
    if (user) {
      const ref = decodeURIComponent(user[1]!);
      if (fake.hangOn.has(ref)) return; // never answered: the caller must give up through its AbortSignal
      const found = fake.users.find((u) => u.id === ref || u.profile.login?.toLowerCase() === ref.toLowerCase());
      if (!found) return oktaError(res, 404, 'E0000007', `Not found: Resource not found: ${ref} (User)`);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ ...found, status: found.status ?? 'ACTIVE', _links: {} }));
    }
    oktaError(res, 404, 'E0000022', 'The endpoint does not support the provided HTTP method');
  };

  const listening = createServer(handle);
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  return fake;
}
