// Slash commands are acknowledged at the HTTP edge once their signature checks out, before Bolt runs: the
// empty 200 every taser command answers, without queueing behind Bolt's work (issue 9.3). Anything else, and
// a command whose signature is wrong, still goes to Bolt with the real response. A real HTTP server and real
// signed requests; Bolt is replaced by a recorder here, and the commands' whole path through the real Bolt is
// covered by slack-edge.test.ts and slack-app.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { guardSlackEndpoint, validSlackSignature } from '../../src/app/slack-edge.js';
import { UnauthenticatedBodyGate } from '../../src/app/body-gate.js';
import { blockActionsBody, signSlackRequest, slackCommandBody, type SlackBody } from '../support/slack-requests.js';

const SECRET = 'edge-ack-secret';

describe('slash commands acknowledged at the edge', () => {
  let server: Server;
  let url = '';
  /** What reached "Bolt": the raw body it was handed, and whether it got the client's real response. */
  const reached: { body: string; realResponse: boolean }[] = [];
  let clientResponses: ServerResponse[] = [];
  let guard: ReturnType<typeof guardSlackEndpoint>;

  beforeAll(async () => {
    const bolt = (req: IncomingMessage, res: ServerResponse) => {
      const realResponse = clientResponses.includes(res);
      reached.push({ body: String((req as IncomingMessage & { rawBody?: Buffer }).rawBody), realResponse });
      // Bolt's ack of a command: written to wherever it was handed. The real one says it came from Bolt.
      res.writeHead(realResponse ? 202 : 200);
      res.end(realResponse ? 'from bolt' : 'nobody reads this');
    };
    guard = guardSlackEndpoint(bolt, { logger: pino({ level: 'silent' }), gate: new UnauthenticatedBodyGate(8), signingSecret: SECRET });
    server = createServer((req, res) => {
      clientResponses.push(res);
      void guard(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  async function post(body: SlackBody, secret = SECRET): Promise<{ status: number; text: string }> {
    reached.length = 0;
    clientResponses = [];
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': body.contentType, ...signSlackRequest(secret, body.raw) }, body: body.raw });
    return { status: res.status, text: await res.text() };
  }

  it('answers a correctly signed command with an empty 200 itself, then hands it to Bolt with its ack going nowhere', async () => {
    const body = slackCommandBody({ command: '/taser', text: 'help', responseUrl: 'https://hooks.slack.test/r/1' });
    expect(await post(body)).toEqual({ status: 200, text: '' });
    // What shutdown waits for: every acknowledged command handed to Bolt.
    await guard.settled();
    expect(reached).toEqual([{ body: body.raw, realResponse: false }]);
  });

  it('leaves a command with a wrong signature to Bolt, which refuses it', async () => {
    const body = slackCommandBody({ command: '/taser', text: 'help', responseUrl: 'https://hooks.slack.test/r/2' });
    expect(await post(body, 'not-the-secret')).toEqual({ status: 202, text: 'from bolt' });
    expect(reached).toEqual([{ body: body.raw, realResponse: true }]);
  });

  it('leaves interactions to Bolt: their ack may carry a body (modal errors)', async () => {
    const body = blockActionsBody({ actionId: 'alerts:ack', value: '{}', responseUrl: 'https://hooks.slack.test/r/3' });
    expect(await post(body)).toEqual({ status: 202, text: 'from bolt' });
    expect(reached[0]!.realResponse).toBe(true);
  });

  it('checks Slack\'s v0 signature exactly', () => {
    const raw = 'command=%2Ftaser&text=help';
    const { 'x-slack-signature': sig, 'x-slack-request-timestamp': ts } = signSlackRequest(SECRET, raw);
    expect(validSlackSignature(SECRET, ts!, Buffer.from(raw), sig!)).toBe(true);
    expect(validSlackSignature(SECRET, String(Number(ts) + 1), Buffer.from(raw), sig!)).toBe(false);
    expect(validSlackSignature(SECRET, ts!, Buffer.from(`${raw}x`), sig!)).toBe(false);
    expect(validSlackSignature(SECRET, ts!, Buffer.from(raw), 'v0=00')).toBe(false);
  });
});
