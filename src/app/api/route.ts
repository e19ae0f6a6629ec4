// The one way to add an /api/v1 route: `api.define(spec, handler)` mounts the handler behind the API key check
// and the zod validation of its params, query and body, and records the spec, from which the OpenAPI document
// (/api/v1/openapi.json) and the reference page (/api/docs) are made. A route mounted with `http.route` instead
// is undocumented, and test/core/openapi.test.ts names it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { authenticateApiKey, type ApiKey } from '../api-keys.js';
import { BodyTooLargeError, loggablePath, readBody, sendJson, type HttpServer } from '../http-server.js';
import type { Logger } from '../logger.js';

export const API_PREFIX = '/api/v1';
const DEFAULT_BODY_LIMIT = 256 * 1024;

/** Every error answer of the API: a stable code, and a message or the problems, one per bad field. */
export const apiErrorSchema = z
  .object({
    error: z.string().describe('a stable code, e.g. invalid_query, invalid_request, invalid_json, unauthenticated, forbidden, not_found, conflict, body_too_large, internal_error'),
    message: z.string().optional(),
    problems: z
      .array(z.union([z.string().describe('`field: message` (query and path parameters)'), z.strictObject({ field: z.string(), message: z.string() }).describe('a body field and what is wrong with it')]))
      .optional(),
    errorId: z.string().optional().describe('quote it to an admin: the log line with the details carries it'),
  })
  .meta({ title: 'Error' });

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/**
 * `apiKey`: `Authorization: Bearer <key>` from the config's apiKeys, or the web console's session cookie (with its
 * CSRF token on every non-GET); `none`: open (documentation only).
 */
export type ApiAuth = 'apiKey' | 'none';

/** Who calls an authenticated route: an API key, or a console user with the ACL groups they are in. */
export interface ApiCaller {
  /** For log lines: the key's name, or `console:<Slack user id>`. */
  name: string;
  /** For audit records: `api:<key name>`, or `console:<Slack user id>` as the console's own pages write. */
  actor: string;
  /** The ACL groups the caller acts as. */
  groups: readonly string[];
}

/**
 * The console's session as a second way in (src/console/api-session.ts): the caller, an answer that refuses the
 * request (a missing CSRF token), or undefined when the request carries no session.
 */
export type SessionAuth = (req: IncomingMessage, res: ServerResponse) => Promise<{ caller: ApiCaller } | ApiReply | undefined>;

export const keyCaller = (key: ApiKey): ApiCaller => ({ name: key.name, actor: `api:${key.name}`, groups: key.groups });

export interface ApiResponseSpec {
  description: string;
  /** The JSON body; error statuses default to the error shape above. */
  schema?: z.ZodType;
  /** Not JSON (e.g. a download): the media type, and no schema. */
  contentType?: string;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface ApiRouteSpec<A extends ApiAuth = ApiAuth, P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Under /api/v1, with `:name` path parameters: `/api/v1/cases/:ref`. */
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  auth: A;
  /** Path parameters; default: each `:name` is a non-empty string. */
  params?: P;
  /** Query parameters: an object schema; an unknown parameter is refused. */
  query?: Q;
  /** The JSON body (an empty body reads as `{}`). */
  body?: B;
  bodyLimit?: number;
  /** The statuses the handler answers; 400, 401, 413 and 500 are added from the spec when they apply. */
  responses: Record<number, ApiResponseSpec>;
  /** A request that works on a running taser; shown on /api/docs and sent by the OpenAPI test (path values may be replaced by the test's fixtures). */
  example?: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown };
}

export interface ApiCall<A extends ApiAuth, P, Q, B> {
  req: IncomingMessage;
  res: ServerResponse;
  params: P;
  query: Q;
  body: B;
  key: A extends 'apiKey' ? ApiCaller : undefined;
}

/** A JSON answer; a handler that streams its answer writes `res` itself and returns nothing. */
export interface ApiReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A route as recorded for the document (types erased). */
export type DefinedRoute = ApiRouteSpec & { params: AnyObject };

const PATH_PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

export function pathParams(path: string): string[] {
  return path.split('/').flatMap((seg) => PATH_PARAM.exec(seg)?.[1] ?? []);
}

/** Every status a route may answer: its own, plus those the mechanism answers for it. */
export function responsesOf(route: ApiRouteSpec): Record<number, ApiResponseSpec> {
  const out: Record<number, ApiResponseSpec> = {};
  if (route.body || route.query || pathParams(route.path).length) out[400] = { description: 'the request is invalid: `problems` names each bad parameter or field', schema: apiErrorSchema };
  if (route.auth === 'apiKey') out[401] = { description: 'no API key, or an unknown one (`Authorization: Bearer <key>`), and no console session', schema: apiErrorSchema };
  if (route.auth === 'apiKey' && route.method !== 'GET') out[403] = { description: 'a console session without its CSRF token (`X-CSRF-Token`), or a caller not allowed to do this', schema: apiErrorSchema };
  if (route.body) out[413] = { description: `the body is over ${route.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes`, schema: apiErrorSchema };
  out[500] = { description: 'taser failed: `errorId` names the log line', schema: apiErrorSchema };
  for (const [status, r] of Object.entries(route.responses)) {
    const schema = r.schema ?? (r.contentType ? undefined : Number(status) >= 400 ? apiErrorSchema : undefined);
    out[Number(status)] = { ...r, ...(schema ? { schema } : {}) };
  }
  return out;
}

const issueLines = (error: z.ZodError, whole: string) => error.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`);

export class ApiRouter {
  private readonly defined: DefinedRoute[] = [];
  private sessions: SessionAuth | undefined;

  constructor(
    private readonly http: HttpServer,
    private readonly deps: { keys: readonly ApiKey[]; logger: Logger },
  ) {}

  /** Lets the console's signed-in users call every `apiKey` route with their session (read at each request). */
  acceptSessions(sessions: SessionAuth): void {
    this.sessions = sessions;
  }

  /** The caller, or the answer that refuses the request: an API key wins when one is presented. */
  private async authenticate(req: IncomingMessage, res: ServerResponse): Promise<{ caller: ApiCaller } | ApiReply> {
    if (req.headers.authorization !== undefined || !this.sessions) {
      const key = authenticateApiKey(this.deps.keys, req);
      if (key) return { caller: keyCaller(key) };
    } else {
      const session = await this.sessions(req, res);
      if (session) return session;
    }
    this.deps.logger.warn({ remote: req.socket.remoteAddress, path: loggablePath(req.url) }, 'HTTP API refused: missing or unknown API key');
    return { status: 401, body: { error: 'unauthenticated', message: 'send Authorization: Bearer <API key>, or sign in to the console' }, headers: { 'www-authenticate': 'Bearer' } };
  }

  /** The documented routes, in the order they were defined. */
  get routes(): readonly DefinedRoute[] {
    return this.defined;
  }

  define<A extends ApiAuth, P extends AnyObject = z.ZodObject<Record<string, z.ZodString>>, Q extends AnyObject = z.ZodObject<{}>, B extends z.ZodType = z.ZodUndefined>(
    spec: ApiRouteSpec<A, P, Q, B>,
    handler: (call: ApiCall<A, z.output<P>, z.output<Q>, z.output<B>>) => Promise<ApiReply | void>,
  ): void {
    const names = pathParams(spec.path);
    if (!spec.path.startsWith(`${API_PREFIX}/`)) throw new Error(`API route ${spec.path}: must be under ${API_PREFIX}/`);
    if (!spec.tags.length) throw new Error(`API route ${spec.method} ${spec.path}: give it a tag (the reference page groups routes by their first tag)`);
    if (this.defined.some((r) => r.method === spec.method && r.path === spec.path)) throw new Error(`API route ${spec.method} ${spec.path} is defined twice`);
    const params = (spec.params ?? z.strictObject(Object.fromEntries(names.map((n) => [n, z.string().min(1)])))) as AnyObject;
    const declared = Object.keys(params.shape).sort();
    if (declared.join() !== [...names].sort().join()) throw new Error(`API route ${spec.path}: params schema has [${declared.join(', ')}], the path has [${names.join(', ')}]`);
    const query = spec.query?.strict();
    this.defined.push({ ...(spec as unknown as ApiRouteSpec), params, ...(query ? { query } : {}) });

    const limit = spec.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const run = async (req: IncomingMessage, res: ServerResponse, raw: Record<string, string>, key: ApiCaller | undefined): Promise<void> => {
      const p = params.safeParse(raw);
      if (!p.success) return sendJson(res, 400, { error: 'invalid_params', problems: issueLines(p.error, 'path') });
      let q: z.ZodSafeParseResult<unknown> = { success: true, data: {} };
      if (query) {
        q = query.safeParse(Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams));
        if (!q.success) return sendJson(res, 400, { error: 'invalid_query', problems: issueLines(q.error, 'query') });
      }
      let body: unknown;
      if (spec.body) {
        let json: unknown;
        try {
          const text = (await readBody(req, limit)).toString('utf8');
          json = text.length ? JSON.parse(text) : {};
        } catch (err) {
          if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'body_too_large', message: err.message });
          return sendJson(res, 400, { error: 'invalid_json', message: 'the body must be JSON' });
        }
        const b = spec.body.safeParse(json);
        if (!b.success) return sendJson(res, 400, { error: 'invalid_request', problems: b.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })) });
        body = b.data;
      }
      const reply = await handler({ req, res, params: p.data, query: q.data, body, key } as ApiCall<A, z.output<P>, z.output<Q>, z.output<B>>);
      if (reply) sendJson(res, reply.status, reply.body, reply.headers);
      else if (!res.writableEnded) throw new Error(`API route ${spec.method} ${spec.path} returned no answer`);
    };
    this.http.route(spec.method, spec.path, async (req, res, raw) => {
      if (spec.auth !== 'apiKey') return run(req, res, raw, undefined);
      const who = await this.authenticate(req, res);
      if ('caller' in who) return run(req, res, raw, who.caller);
      sendJson(res, who.status, who.body, who.headers);
    });
  }
}
