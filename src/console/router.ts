// The console's routes on taser's HTTP server: every /ui page goes through `page()`, which resolves the session
// (auth.ts), refuses what needs a session or a group, checks the CSRF token on every non-GET, reads and parses
// the body, sets the security headers and hands the handler a typed ConsoleRequest with render helpers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../app/http-server.js';
import type { Logger } from '../app/logger.js';
import { csrfMatches, presentedCsrf } from './csrf.js';
import type { Views } from './render.js';
import type { Session } from './session.js';
import type { ConsoleAuth } from './auth.js';

/** Strict CSP: scripts and styles only from taser itself, no inline script, no eval, no framing. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const MAX_FORM_BYTES = 1024 * 1024;

export interface ConsoleUser {
  id: string;
  name: string;
  email?: string;
  /** Member of a `correlation.admins` group: may change rules. */
  isAdmin: boolean;
}

export interface ConsoleRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  url: URL;
  session: Session;
  user: ConsoleUser;
  /** The parsed body of a non-GET request (form fields; a JSON body's top-level fields). */
  form: Record<string, string | string[]>;
  /** A JSON body as sent (undefined for forms). */
  json?: unknown;
  /** Is this an htmx request (answer a fragment, not a page)? */
  htmx: boolean;
  render(view: string, data: object, options?: { title?: string; nav?: string; status?: number }): void;
  fragment(view: string, data: object, status?: number): void;
  redirect(location: string): void;
  send(status: number, contentType: string, body: string | Buffer, headers?: Record<string, string>): void;
}

export interface PageOptions {
  /** Only members of a `correlation.admins` group (the same rule as Slack and the API). */
  admin?: boolean;
}

export type PageHandler = (c: ConsoleRequest) => Promise<void> | void;

export function securityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cache-control', 'no-store');
}

export class ConsoleRouter {
  constructor(
    private readonly http: HttpServer,
    readonly views: Views,
    private readonly auth: ConsoleAuth,
    private readonly logger: Logger,
  ) {}

  /** A public route (sign-in, assets): security headers, no session. */
  open(method: string, pattern: string, handler: (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void> | void): void {
    this.http.route(method, pattern, async (req, res, params) => {
      securityHeaders(res);
      await handler(req, res, params);
    });
  }

  /** A page or action that needs a signed-in user. */
  page(method: string, pattern: string, handler: PageHandler, options: PageOptions = {}): void {
    this.http.route(method, pattern, async (req, res, params) => {
      securityHeaders(res);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const htmx = req.headers['hx-request'] === 'true';
      const session = await this.auth.session(req, res);
      if (!session) return this.unauthenticated(req, res, url, htmx);

      let form: Record<string, string | string[]> = {};
      let json: unknown;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        try {
          ({ form, json } = await readForm(req));
        } catch (err) {
          if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'too_large', message: err.message });
          return sendJson(res, 400, { error: 'invalid_body', message: (err as Error).message });
        }
        if (!csrfMatches(session.csrf, presentedCsrf(req, form))) {
          this.logger.warn({ audit: 'console_csrf_refused', user: session.sub, path: url.pathname }, 'console change refused: missing or wrong CSRF token');
          return sendJson(res, 403, { error: 'csrf', message: 'missing or wrong CSRF token: reload the page and try again' });
        }
      }
      const user: ConsoleUser = { id: session.sub, name: session.name, email: session.email, isAdmin: await this.auth.isAdmin(session.sub) };
      const layoutUser = { id: user.id, name: user.name, isAdmin: user.isAdmin };
      const c: ConsoleRequest = {
        req, res, params, url, session, user, form, json, htmx,
        render: (view, data, opts = {}) => {
          const html = this.views.page(view, data, { title: opts.title ?? view, nav: opts.nav, user: layoutUser, csrf: session.csrf });
          sendHtml(res, opts.status ?? 200, html);
        },
        fragment: (view, data, status = 200) => sendHtml(res, status, this.views.fragment(view, { ...data, csrf: session.csrf, user: layoutUser })),
        redirect: (location) => redirect(res, location, htmx),
        send: (status, contentType, body, headers = {}) => {
          res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
          res.end(body);
        },
      };
      if (options.admin && !user.isAdmin) {
        this.logger.warn({ audit: 'console_admin_refused', user: user.id, path: url.pathname }, 'console: not a correlation admin');
        return c.render('forbidden', { message: 'Only members of a correlation.admins group may do this.' }, { title: 'Not allowed', status: 403 });
      }
      await handler(c);
    });
  }

  private unauthenticated(req: IncomingMessage, res: ServerResponse, url: URL, htmx: boolean): void {
    // Pages send the browser to sign in; what scripts call (htmx, downloads, changes) gets a plain 401.
    if (req.method !== 'GET' || htmx || url.pathname.startsWith('/ui/api/')) {
      if (htmx) res.setHeader('hx-redirect', '/ui/login');
      return sendJson(res, 401, { error: 'unauthenticated', message: 'sign in at /ui/login' });
    }
    const next = url.pathname + url.search;
    redirect(res, `/ui/login?next=${encodeURIComponent(next)}`, false);
  }
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string, htmx: boolean): void {
  if (htmx) {
    res.writeHead(200, { 'hx-redirect': location });
    res.end();
    return;
  }
  res.writeHead(303, { location });
  res.end();
}

async function readForm(req: IncomingMessage): Promise<{ form: Record<string, string | string[]>; json?: unknown }> {
  const text = (await readBody(req, MAX_FORM_BYTES)).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    const json: unknown = text ? JSON.parse(text) : {};
    const form: Record<string, string | string[]> = {};
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      for (const [k, v] of Object.entries(json)) if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) form[k] = v as string | string[];
    }
    return { form, json };
  }
  const form: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = form[k];
    form[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { form };
}

/** A local path to return to after sign-in: only under /ui, never another host (`//evil`, `/\evil`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ui(\/|$|\?)/.test(next) && !/[\\\r\n]/.test(next) && !next.startsWith('//') ? next : '/ui';
}
