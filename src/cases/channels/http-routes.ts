// The case channel route of the HTTP API, with its schemas (exported for the API description):
//   POST /api/v1/cases/{idOrNumber}/channels   {private?, name?} -> 201 {channel: {id, name, private}, invited, failedInvites, problems}
// 400 names each bad field; 403 the ACL; 404 no such case; 503 when taser has no Slack client (CLI processes).
import { z } from 'zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type HttpServer, type RouteHandler } from '../../app/http-server.js';
import type { ApiHandler, ApiKey } from '../../app/api-keys.js';
import { CaseInputError } from '../model.js';
import type { Principal } from '../access.js';
import type { CaseChannels } from './index.js';
import { MAX_CHANNEL_NAME } from './names.js';

export const openChannelParams = z.strictObject({ ref: z.string().regex(/^(#?\d{1,9}|[0-9a-f]{24})$/, 'a case number or id') });
export const openChannelBody = z.strictObject({
  /** Private channel; default: the case is tagged `private`, else config `cases.channels.private`. */
  private: z.boolean().optional(),
  /** A name of your own instead of case-<number>-<title>; -2, -3... are added when taken. */
  name: z.string().regex(new RegExp(`^[a-z0-9_-]{1,${MAX_CHANNEL_NAME}}$`), `lower-case letters, digits, - and _, at most ${MAX_CHANNEL_NAME} characters`).optional(),
});
export const openChannelAnswer = z.strictObject({
  channel: z.strictObject({ id: z.string(), name: z.string(), private: z.boolean() }),
  invited: z.array(z.string()),
  failedInvites: z.array(z.strictObject({ user: z.string(), error: z.string() })),
  problems: z.array(z.string()),
});

export function mountCaseChannelRoutes(
  http: HttpServer,
  deps: {
    channels: CaseChannels | undefined;
    authed(handler: ApiHandler): RouteHandler;
    caught(handler: ApiHandler): ApiHandler;
    jsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ ok: true; body: unknown } | { ok: false }>;
    principal(key: ApiKey): Principal;
  },
): void {
  http.route('POST', '/api/v1/cases/:ref/channels', deps.authed(deps.caught(async (req, res, params, key) => {
    const p = openChannelParams.safeParse(params);
    if (!p.success) throw CaseInputError.fromZod(p.error);
    const body = await deps.jsonBody(req, res);
    if (!body.ok) return;
    const parsed = openChannelBody.safeParse(body.body);
    if (!parsed.success) throw CaseInputError.fromZod(parsed.error);
    if (!deps.channels) return sendJson(res, 503, { error: 'unavailable', message: 'case channels need the Slack client of a running taser' });
    const opened = await deps.channels.open(deps.principal(key), p.data.ref.replace(/^#/, ''), parsed.data);
    sendJson(res, 201, openChannelAnswer.parse(opened));
  })));
}
