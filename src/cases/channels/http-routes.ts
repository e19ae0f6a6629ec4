// The case channel route of the HTTP API, with its schemas:
//   POST /api/v1/cases/{idOrNumber}/channels   {private?, name?} -> 201 {channel: {id, name, private}, invited, failedInvites, problems}
// 400 names each bad field; 403 the ACL; 404 no such case; 503 when taser has no Slack client (CLI processes).
import { z } from 'zod';
import type { ApiRouter } from '../../app/api/route.js';
import { caseRefParams } from '../api-schemas.js';
import { answering, apiPrincipal } from '../http-routes.js';
import type { CaseChannels } from './index.js';
import { MAX_CHANNEL_NAME } from './names.js';

export const openChannelBody = z.strictObject({
  private: z.boolean().optional().meta({ description: 'a private channel; default: private when the case is tagged `private`, else config `cases.channels.private`' }),
  name: z
    .string()
    .regex(new RegExp(`^[a-z0-9_-]{1,${MAX_CHANNEL_NAME}}$`), `lower-case letters, digits, - and _, at most ${MAX_CHANNEL_NAME} characters`)
    .optional()
    .meta({ description: 'a name of your own instead of case-<number>-<title>; -2, -3... are added when taken' }),
});
export const openChannelAnswer = z.strictObject({
  channel: z.strictObject({ id: z.string(), name: z.string(), private: z.boolean() }),
  invited: z.array(z.string()),
  failedInvites: z.array(z.strictObject({ user: z.string(), error: z.string() })),
  problems: z.array(z.string()),
});

export function mountCaseChannelRoutes(api: ApiRouter, deps: { channels: CaseChannels | undefined }): void {
  api.define(
    {
      method: 'POST', path: '/api/v1/cases/:ref/channels', tags: ['cases'], auth: 'apiKey', params: caseRefParams, body: openChannelBody,
      summary: 'Open another Slack channel for a case',
      description: 'Creates the channel, invites the requester, assignee and team, sets topic and purpose, and pins the case summary; every message in it is logged on the case.',
      responses: {
        201: { description: 'the channel, who was invited and who could not be', schema: openChannelAnswer },
        403: { description: "the key's groups may not do this (the `cases` config)" },
        404: { description: 'no such case' },
        503: { description: 'taser has no Slack client here' },
      },
      example: { body: {} },
    },
    ({ params, body, key }) =>
      answering(async () => {
        if (!deps.channels) return { status: 503, body: { error: 'unavailable', message: 'case channels need the Slack client of a running taser' } };
        const opened = await deps.channels.open(apiPrincipal(key), params.ref.replace(/^#/, ''), body);
        return { status: 201, body: openChannelAnswer.parse(opened) };
      }),
  );
}
