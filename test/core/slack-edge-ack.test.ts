// Slash commands and block actions are acknowledged at the HTTP edge once their signature checks out, before
// Bolt runs (issue 9.3): the empty 200 every taser listener answers them with, without queueing behind Bolt's
// work. The body, parsed once here as Bolt parses it, goes to Bolt's processEvent after the ack. A wrong
// signature is answered 401 here; anything else goes to Bolt's receiver with the real response. A real HTTP
// server and real signed requests; Bolt is replaced by a recorder here, and the whole path through the real
// Bolt is covered by slack-edge.test.ts and slack-app.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { pino } from 'pino';
import type { ReceiverEvent } from '@slack/bolt';
import { edgeAckable, guardSlackEndpoint, validSlackSignature, type SlackEndpointDeps } from '../../src/app/slack-edge.js';
import { UnauthenticatedBodyGate } from '../../src/app/body-gate.js';
import { HttpServer } from '../../src/app/http-server.js';
import { PER_TURN, TurnBudget } from '../../src/app/turns.js';
import { blockActionsBody, signSlackRequest, slackCommandBody, viewSubmissionBody, type SlackBody } from '../support/slack-requests.js';

const SECRET = 'edge-ack-secret';

/** A real server with the guarded endpoint; what reached Bolt's receiver and Bolt's processEvent is recorded. */
async function edgeServer(options: Partial<SlackEndpointDeps> = {}, processing: (event: ReceiverEvent) => Promise<void> = async () => {}) {
  const toReceiver: { body: string; realResponse: boolean }[] = [];
  const processed: ReceiverEvent[] = [];
  let clientResponses: ServerResponse[] = [];
  const bolt = (req: IncomingMessage, res: ServerResponse) => {
    const realResponse = clientResponses.includes(res);
    toReceiver.push({ body: String((req as IncomingMessage & { rawBody?: Buffer }).rawBody), realResponse });
    res.writeHead(202).end('from bolt');
  };
  const guard = guardSlackEndpoint(bolt, {
    logger: pino({ level: 'silent' }),
    gate: new UnauthenticatedBodyGate(8),
    signingSecret: SECRET,
    processEvent: async (event) => {
      processed.push(event);
      await processing(event);
    },
    ...options,
  });
  const server: Server = createServer((req, res) => {
    clientResponses.push(res);
    void guard(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  return {
    guard,
    toReceiver,
    processed,
    async post(body: SlackBody, secret = SECRET): Promise<{ status: number; text: string }> {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': body.contentType, ...signSlackRequest(secret, body.raw) }, body: body.raw });
      return { status: res.status, text: await res.text() };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('slash commands and block actions acknowledged at the edge', () => {
  let edge: Awaited<ReturnType<typeof edgeServer>>;
  beforeAll(async () => {
    edge = await edgeServer();
  });
  afterAll(async () => edge.close());
  const reset = () => {
    edge.toReceiver.length = 0;
    edge.processed.length = 0;
  };

  it('answers a correctly signed command with an empty 200 itself, then hands Bolt its body parsed once, with an ack going nowhere', async () => {
    reset();
    const body = slackCommandBody({ command: '/taser', text: 'help', responseUrl: 'https://hooks.slack.test/r/1' });
    expect(await edge.post(body)).toEqual({ status: 200, text: '' });
    // What shutdown waits for: every acknowledged request through Bolt.
    await edge.guard.settled();
    expect(edge.toReceiver).toEqual([]);
    expect(edge.processed).toHaveLength(1);
    expect(edge.processed[0]!.body).toEqual({ ...parseQuery(body.raw) });
    await expect(edge.processed[0]!.ack()).resolves.toBeUndefined();
  });

  it('acknowledges a block action the same way and hands Bolt its payload', async () => {
    reset();
    const body = blockActionsBody({ actionId: 'alerts:ack', value: '{"a":1}', responseUrl: 'https://hooks.slack.test/r/3' });
    expect(await edge.post(body)).toEqual({ status: 200, text: '' });
    await edge.guard.settled();
    expect(edge.toReceiver).toEqual([]);
    expect(edge.processed[0]!.body).toEqual(JSON.parse(new URLSearchParams(body.raw).get('payload')!));
  });

  it('refuses a command or a click with a wrong signature with 401, and nothing reaches Bolt', async () => {
    reset();
    const command = slackCommandBody({ command: '/taser', text: 'help', responseUrl: 'https://hooks.slack.test/r/2' });
    const click = blockActionsBody({ actionId: 'alerts:ack', value: '{}', responseUrl: 'https://hooks.slack.test/r/4' });
    expect(await edge.post(command, 'not-the-secret')).toEqual({ status: 401, text: '' });
    expect(await edge.post(click, 'not-the-secret')).toEqual({ status: 401, text: '' });
    await edge.guard.settled();
    expect(edge.toReceiver).toEqual([]);
    expect(edge.processed).toEqual([]);
  });

  it('leaves view submissions to Bolt\'s receiver: their ack may carry errors', async () => {
    reset();
    const body = viewSubmissionBody({ callbackId: 'cases:create', values: {} });
    expect(await edge.post(body)).toEqual({ status: 202, text: 'from bolt' });
    expect(edge.toReceiver).toEqual([{ body: body.raw, realResponse: true }]);
    expect(edge.processed).toEqual([]);
  });
});

describe('the queue behind the edge acks', () => {
  it('runs at most maxRunning at once and answers 503 past maxQueued waiting, acknowledging nothing it cannot run', async () => {
    const release: (() => void)[] = [];
    const edge = await edgeServer({ maxRunning: 1, maxQueued: 1 }, () => new Promise<void>((resolve) => release.push(resolve)));
    try {
      const command = (n: number) => slackCommandBody({ command: '/taser', text: `n${n}`, responseUrl: `https://hooks.slack.test/r/q${n}` });
      expect((await edge.post(command(1))).status).toBe(200);
      await expect.poll(() => edge.processed.length).toBe(1);
      expect((await edge.post(command(2))).status).toBe(200); // waits: one is running
      expect(edge.guard.queued).toBe(1);
      expect((await edge.post(command(3))).status).toBe(503); // the queue is full
      release.shift()!();
      await expect.poll(() => edge.processed.length).toBe(2);
      expect(edge.processed.map((e) => (e.body as { text: string }).text)).toEqual(['n1', 'n2']);
      release.shift()!();
      await edge.guard.settled();
      expect(edge.guard.running).toBe(0);
    } finally {
      for (const r of release) r();
      await edge.close();
    }
  });
});

describe('acks as arrivals', () => {
  it('counts each acknowledged command as an arrival, so paced handlers wait while a burst on warm connections is being acked', async () => {
    // A burst on keep-alive connections opens no connection, yet reaches the server over several turns: the
    // pacing (src/app/turns.ts) must see the acks themselves, or 8 handlers start in each of those turns.
    const edge = await edgeServer();
    try {
      const budget = new TurnBudget();
      expect(budget.take()).toBe(PER_TURN);
      expect((await edge.post(slackCommandBody({ command: '/taser', text: 'help', responseUrl: 'https://hooks.slack.test/r/a1' }))).status).toBe(200);
      expect(budget.take()).toBe(0);
      expect(budget.take()).toBe(PER_TURN);
      // A refused one is no arrival: nothing of it will run.
      expect((await edge.post(slackCommandBody({ command: '/taser', text: 'help', responseUrl: 'https://hooks.slack.test/r/a2' }), 'wrong-secret')).status).toBe(401);
      expect(budget.take()).toBe(PER_TURN);
      await edge.guard.settled();
    } finally {
      await edge.close();
    }
  });
});

describe('a burst of new connections', () => {
  it('is acknowledged in full before its first command reaches Bolt: handlers wait while connections are being accepted (one a turn)', async () => {
    // taser's own HTTP server: it tells the pacing (src/app/turns.ts) about every connection it accepts.
    const http = new HttpServer(pino({ level: 'silent' }));
    const order: string[] = [];
    const guard = guardSlackEndpoint(() => order.push('receiver'), {
      logger: pino({ level: 'silent' }),
      gate: new UnauthenticatedBodyGate(512),
      signingSecret: SECRET,
      processEvent: async () => void order.push('bolt'),
    });
    http.route('POST', '/slack/events', async (req, res) => {
      await guard(req, res);
      order.push(`ack ${res.statusCode}`);
    });
    const { port } = await http.listen(0, '127.0.0.1');
    try {
      const n = 60;
      // Each on a connection of its own, all opened at once (in one tick): they wait in the kernel's queue,
      // and the server accepts one per turn of its event loop.
      const statuses = await Promise.all(
        Array.from({ length: n }, (_, i) => {
          const body = slackCommandBody({ command: '/taser', text: 'help', responseUrl: `https://hooks.slack.test/r/burst${i}`, triggerId: `burst-${i}` });
          const headers = { 'content-type': body.contentType, 'content-length': String(Buffer.byteLength(body.raw)), ...signSlackRequest(SECRET, body.raw) };
          return new Promise<number>((resolve, reject) => {
            const req = request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', headers, agent: false }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            req.end(body.raw);
          });
        }),
      );
      await guard.settled();
      expect(statuses).toEqual(Array(n).fill(200));
      // Without the pacing, 8 commands went to Bolt every turn, so each connection still waiting was accepted
      // only after their work: the acks came between Bolt's runs, most commands ran before the last ack. With
      // it, Bolt waits until the accepts pause for a millisecond: on a quiet machine none runs before the last
      // ack; on a loaded one (a CI runner) the client's connects can pause that long once or twice, so up to
      // two turns' worth may.
      const lastAck = order.lastIndexOf('ack 200');
      expect(order.filter((e) => e === 'ack 200')).toHaveLength(n);
      expect(order.filter((e) => e === 'bolt')).toHaveLength(n);
      expect(order.slice(0, lastAck).filter((e) => e === 'bolt').length).toBeLessThanOrEqual(2 * PER_TURN);
    } finally {
      await http.close();
    }
  });
});

describe('edgeAckable', () => {
  const form = 'application/x-www-form-urlencoded';
  const payload = (p: unknown) => Buffer.from(new URLSearchParams({ payload: JSON.stringify(p) }).toString());
  it('takes commands with a response_url and block actions, nothing else', () => {
    expect(edgeAckable(form, Buffer.from('command=%2Ftaser&text=help&response_url=https%3A%2F%2Fx'))).toMatchObject({ command: '/taser', text: 'help' });
    expect(edgeAckable(form, Buffer.from('command=%2Ftaser&text=help'))).toBeUndefined();
    expect(edgeAckable(form, Buffer.from('command=taser&response_url=https%3A%2F%2Fx'))).toBeUndefined();
    expect(edgeAckable(form, Buffer.from('ssl_check=1&command=%2Ftaser&response_url=https%3A%2F%2Fx'))).toBeUndefined();
    expect(edgeAckable(form, payload({ type: 'block_actions', actions: [] }))).toEqual({ type: 'block_actions', actions: [] });
    for (const type of ['block_suggestion', 'view_submission', 'view_closed', 'shortcut', 'message_action']) expect(edgeAckable(form, payload({ type }))).toBeUndefined();
    expect(edgeAckable(form, Buffer.from('payload=%7Bnot-json'))).toBeUndefined();
    expect(edgeAckable('application/json', Buffer.from('{"type":"block_actions"}'))).toBeUndefined();
    expect(edgeAckable(`${form}; charset=utf-8`, Buffer.from('command=%2Ftaser&response_url=https%3A%2F%2Fx'))).toBeUndefined();
  });
});

describe('validSlackSignature', () => {
  it("checks Slack's v0 signature exactly", () => {
    const raw = 'command=%2Ftaser&text=help';
    const { 'x-slack-signature': sig, 'x-slack-request-timestamp': ts } = signSlackRequest(SECRET, raw);
    expect(validSlackSignature(SECRET, ts!, Buffer.from(raw), sig!)).toBe(true);
    expect(validSlackSignature(SECRET, String(Number(ts) + 1), Buffer.from(raw), sig!)).toBe(false);
    expect(validSlackSignature(SECRET, ts!, Buffer.from(`${raw}x`), sig!)).toBe(false);
    expect(validSlackSignature(SECRET, ts!, Buffer.from(raw), 'v0=00')).toBe(false);
  });
});
