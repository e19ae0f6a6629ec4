// The HTTP server, in both Slack modes: health, readiness and metrics, Slack's endpoint in HTTP mode, and the
// routes other modules mount (signal webhooks, the HTTP API). A tiny router: exact segments and :params.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newErrorId } from './errors.js';
import type { Logger } from './logger.js';
import { noteArrival } from './turns.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void> | void;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: RouteHandler;
}

export class HttpServer {
  private readonly routes: Route[] = [];
  private server?: Server;

  constructor(private readonly logger: Logger) {}

  /** Registers a route; `pattern` like "/signals/:source". */
  route(method: string, pattern: string, handler: RouteHandler): void {
    this.routes.push({ method: method.toUpperCase(), pattern, segments: pattern.split('/').filter(Boolean), handler });
  }

  /** Every route mounted, as registered (the OpenAPI test checks each /api/v1 one is documented). */
  mounted(): { method: string; pattern: string }[] {
    return this.routes.map(({ method, pattern }) => ({ method, pattern }));
  }

  private match(method: string, path: string): { route?: Route; params: Record<string, string>; pathKnown: boolean } {
    const parts = path.split('/').filter(Boolean);
    let pathKnown = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((seg, i) => {
        const part = parts[i]!;
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            return false;
          }
          return true;
        }
        return seg === part;
      });
      if (!ok) continue;
      pathKnown = true;
      if (route.method === method) return { route, params, pathKnown };
    }
    return { params: {}, pathKnown };
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { route, params, pathKnown } = this.match(req.method ?? 'GET', url.pathname);
    if (!route) {
      sendJson(res, pathKnown ? 405 : 404, { error: pathKnown ? 'method_not_allowed' : 'not_found' });
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res, params))
      .catch((err: unknown) => {
        const errorId = newErrorId();
        this.logger.error({ err, errorId, path: url.pathname }, 'HTTP handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', errorId });
        else res.end();
      });
  };

  async listen(port: number, host: string): Promise<AddressInfo> {
    this.server = createServer(this.listener);
    // Paced work waits while connections are being accepted (src/app/turns.ts): libuv accepts one per turn.
    this.server.on('connection', noteArrival);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting connections; in-flight requests finish. */
  /**
   * Stops accepting connections, closes idle keep-alive ones at once, and lets requests in flight finish for
   * up to `graceMs`; then cuts them (their senders got no answer, so they retry: nothing answered is lost).
   */
  async close(graceMs = 10_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      cut.unref();
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
  }
}

/** A request's path for logs: query values are dropped (`?access_token=...` must never reach a log). */
export function loggablePath(rawUrl: string | undefined): string {
  const url = new URL(rawUrl ?? '/', 'http://localhost');
  const keys = [...new Set(url.searchParams.keys())];
  return keys.length ? `${url.pathname}?${keys.map((k) => `${encodeURIComponent(k)}=[redacted]`).join('&')}` : url.pathname;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * Reads a request body, refusing more than `limit` bytes (the caller answers 413). With listeners, not `for
 * await`: the async iterator costs a stream-finished watcher and several promises per request, on the path every
 * Slack ack takes. As the iterator does, a body over the limit destroys the request, and a request closed before
 * its end fails with ERR_STREAM_PREMATURE_CLOSE.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(`body is ${declared} bytes; the limit is ${limit}`));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (req.destroyed) return Promise.reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done();
      req.destroy();
      reject(new BodyTooLargeError(`body is over the limit of ${limit} bytes`));
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      done();
      reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
