// Test support: a local stand-in for the VirusTotal API v3 (node:http on 127.0.0.1). Tests set the answer for
// each path and read back what was asked, with which x-apikey. Only imported by this plugin's tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const vtError = (status: number, code: string, message: string): FakeResponse => ({ status, body: { error: { code, message } } });

export class FakeVirusTotal {
  readonly requests: { path: string; apiKey: string | undefined }[] = [];
  private readonly answers = new Map<string, FakeResponse>();
  private server?: Server;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      const apiKey = req.headers['x-apikey'] as string | undefined;
      this.requests.push({ path, apiKey });
      const answer = apiKey ? (this.answers.get(path) ?? vtError(404, 'NotFoundError', `Resource "${path}" not found`)) : vtError(401, 'AuthenticationRequiredError', 'X-Apikey header is missing');
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  answer(path: string, response: FakeResponse): void {
    this.answers.set(path, response);
  }

  reset(): void {
    this.answers.clear();
    this.requests.length = 0;
  }
}

/** A file object as GET /api/v3/files/{id} returns it (trimmed to the attributes that matter here). */
export function fileObject(sha256: string, attributes: Record<string, unknown>): FakeResponse {
  return {
    status: 200,
    body: {
      data: {
        id: sha256,
        type: 'file',
        links: { self: `https://www.virustotal.com/api/v3/files/${sha256}` },
        attributes: { sha256, type_description: 'Win32 EXE', size: 68, reputation: 0, tags: [], ...attributes },
      },
    },
  };
}

/** A domain object as GET /api/v3/domains/{domain} returns it. */
export function domainObject(domain: string, attributes: Record<string, unknown>): FakeResponse {
  return {
    status: 200,
    body: {
      data: {
        id: domain,
        type: 'domain',
        links: { self: `https://www.virustotal.com/api/v3/domains/${domain}` },
        attributes: { registrar: 'Example Registrar, Inc.', creation_date: 1_700_000_000, reputation: 0, categories: {}, ...attributes },
      },
    },
  };
}
