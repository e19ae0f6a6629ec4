// In front of Bolt's HTTPReceiver: what can be refused from the headers alone is refused before the body is
// read. Bolt checks only that a timestamp is not more than 5 minutes old; a request stamped in the future
// (a clock set ahead, or a signature made for later replay) is refused here too. Bodies are read under the
// unauthenticated-body gate, and a signed body's HMAC is checked here, once: a wrong one is answered 401.
//
// Slash commands and block actions are acknowledged here, right after their signature checks out (issue 9.3):
// taser's listeners for both ack with an empty body and answer through response_url, views or the Web API
// (src/app/slack-routes.ts; plugins never see ack), so the empty 200 is exactly what Bolt would have sent,
// only without waiting behind Bolt's work for the requests before it. The body, parsed once here the way Bolt
// parses it, then goes to Bolt's App.processEvent with an ack that goes nowhere: Bolt's middleware, listeners,
// the interaction ledger's replay check and "already done" replies run as before, after the ack. Everything
// else (view submissions, whose ack may carry errors; events; ssl_check; options) goes to Bolt's HTTPReceiver,
// which verifies it again and answers it itself.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { ReceiverEvent } from '@slack/bolt';
import { gateRefusal, UnauthenticatedBodyGate } from './body-gate.js';
import { sendJson } from './http-server.js';
import { noteArrival, TurnBudget } from './turns.js';
import type { Logger } from './logger.js';

/** Slack's replay window: a signed request is valid this long on either side of our clock. */
export const SLACK_TIMESTAMP_TOLERANCE_SEC = 300;
/** Slack's largest bodies (a view submission with many inputs) stay far below this. */
export const SLACK_MAX_BODY = 1024 * 1024;
/** A signature-less request may only be Slack's tiny `ssl_check`. */
const UNSIGNED_MAX_BODY = 1024;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** Why the headers alone disqualify a request, or undefined when its body is worth reading. */
export function slackHeaderProblem(req: IncomingMessage, nowMs = Date.now()): string | undefined {
  const signature = header(req, 'x-slack-signature');
  const timestamp = header(req, 'x-slack-request-timestamp');
  if (signature === undefined && timestamp === undefined) {
    const length = Number(req.headers['content-length']);
    return Number.isFinite(length) && length <= UNSIGNED_MAX_BODY ? undefined : 'unsigned request';
  }
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature)) return 'missing or malformed x-slack-signature';
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return 'missing or malformed x-slack-request-timestamp';
  const skew = Number(timestamp) - nowMs / 1000;
  if (Math.abs(skew) > SLACK_TIMESTAMP_TOLERANCE_SEC) return `timestamp is ${Math.round(Math.abs(skew))} s in the ${skew > 0 ? 'future' : 'past'} (tolerance ${SLACK_TIMESTAMP_TOLERANCE_SEC} s)`;
  return undefined;
}

/** Slack's v0 signature of a body, checked in constant time. */
export function validSlackSignature(secret: string, timestamp: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A verified form body Bolt would parse to a slash command or a block action, parsed exactly as Bolt's
 * HTTPReceiver does (querystring, then the JSON `payload`); undefined for anything else, which Bolt keeps.
 */
export function edgeAckable(contentType: string | undefined, body: Buffer): Record<string, unknown> | undefined {
  if (contentType !== 'application/x-www-form-urlencoded') return undefined;
  const form = parseQuery(body.toString('utf8'));
  if (typeof form.payload === 'string') {
    let payload: unknown;
    try {
      payload = JSON.parse(form.payload);
    } catch {
      return undefined; // Bolt answers it 400
    }
    const ok = typeof payload === 'object' && payload !== null && (payload as { type?: unknown }).type === 'block_actions';
    return ok ? (payload as Record<string, unknown>) : undefined;
  }
  if (form.payload !== undefined || form.ssl_check !== undefined) return undefined;
  const { command, response_url: responseUrl } = form;
  return typeof command === 'string' && command.startsWith('/') && typeof responseUrl === 'string' && responseUrl ? form : undefined;
}

/** The guarded endpoint, and a way for shutdown to let acknowledged requests reach Bolt first. */
export interface SlackEndpoint {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Resolves once every request acknowledged here has been through Bolt, handlers included (or after timeoutMs). */
  settled(timeoutMs?: number): Promise<void>;
  /** Acknowledged requests not yet handed to Bolt. */
  readonly queued: number;
  /** Acknowledged requests in Bolt now (their handlers not yet finished). */
  readonly running: number;
}

export interface SlackEndpointDeps {
  logger: Logger;
  gate: UnauthenticatedBodyGate;
  /** Checks signatures here, once; without it every request goes to Bolt's receiver as it came. */
  signingSecret?: string;
  /** Bolt's App.processEvent: where a request acknowledged here is processed (without it nothing is acked here). */
  processEvent?: (event: ReceiverEvent) => Promise<void>;
  /**
   * Acknowledged requests waiting for Bolt at most; past it a command or click is answered 503 (Slack shows
   * the person an error, nothing runs), so a flood costs bounded memory and never an ack for work that is lost.
   */
  maxQueued?: number;
  /** Acknowledged requests being processed by Bolt at once (their handlers included). */
  maxRunning?: number;
}

export const SLACK_EDGE_MAX_QUEUED = 10_000;
export const SLACK_EDGE_MAX_RUNNING = 128;
/** A handler still running after this no longer holds its slot (it goes on running). */
const SLOT_TIMEOUT_MS = 10_000;

const noAck = async (): Promise<void> => {};

export function guardSlackEndpoint(bolt: RequestListener, deps: SlackEndpointDeps): SlackEndpoint {
  const { logger, gate, signingSecret, processEvent, maxQueued = SLACK_EDGE_MAX_QUEUED, maxRunning = SLACK_EDGE_MAX_RUNNING } = deps;
  // Requests already acknowledged wait here for Bolt, and at most `maxRunning` run in Bolt at once, PER_TURN
  // more started per turn of the event loop, none while new connections or acks keep arriving (TurnBudget,
  // src/app/turns.ts): each turn first serves the I/O that arrived (other requests' acks), and the handlers'
  // own continuations stay bounded, so under a burst the acks keep their place and the handlers' work waits in
  // this queue instead. A handler that hangs gives its slot back after SLOT_TIMEOUT_MS.
  // A ring of head indexes, so draining a long queue is not quadratic (Array.shift).
  let queue: (ReceiverEvent | undefined)[] = [];
  let head = 0;
  let running = 0;
  let scheduled = false;
  let overflowing = false;
  const queued = () => queue.length - head;
  const budget = new TurnBudget();
  const schedule = () => {
    if (scheduled || !queued() || running >= maxRunning) return;
    scheduled = true;
    budget.later(next);
  };
  const next = () => {
    scheduled = false;
    const n = budget.take();
    for (let i = 0; i < n && queued() && running < maxRunning; i++) start();
    schedule();
  };
  const start = () => {
    const event = queue[head]!;
    queue[head++] = undefined;
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
    running++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(slot);
      running--;
      schedule();
    };
    const slot = setTimeout(release, SLOT_TIMEOUT_MS);
    slot.unref();
    processEvent!(event)
      .catch((err: unknown) => logger.error({ err }, 'Bolt failed on a Slack request acknowledged at the edge'))
      .finally(release);
  };
  const enqueue = (event: ReceiverEvent) => {
    queue.push(event);
    schedule();
  };

  const endpoint = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const problem = slackHeaderProblem(req);
    if (problem) {
      logger.warn({ reason: problem, remote: req.socket.remoteAddress }, 'Slack request refused before reading its body');
      res.writeHead(401, { connection: 'close' }).end();
      req.resume();
      return;
    }
    const signature = header(req, 'x-slack-signature');
    const timestamp = header(req, 'x-slack-request-timestamp');
    let body: Buffer;
    try {
      body = await gate.read(req, signature === undefined ? UNSIGNED_MAX_BODY : SLACK_MAX_BODY);
    } catch (err) {
      const refusal = gateRefusal(err);
      if (!refusal) throw err;
      logger.warn({ reason: refusal.message, remote: req.socket.remoteAddress }, 'Slack request refused while reading its body');
      if (!res.headersSent && !res.destroyed) sendJson(res, refusal.status, { error: refusal.error, message: refusal.message }, refusal.headers);
      return;
    }
    // Bolt reads `rawBody` instead of the stream when it is already there (HTTPModuleFunctions.bufferIncomingMessage).
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    if (signingSecret && signature !== undefined && timestamp !== undefined) {
      if (!validSlackSignature(signingSecret, timestamp, body, signature)) {
        logger.warn({ remote: req.socket.remoteAddress }, 'Slack request refused: its signature does not match the signing secret');
        res.writeHead(401).end();
        return;
      }
      const parsed = processEvent ? edgeAckable(header(req, 'content-type'), body) : undefined;
      if (parsed) {
        if (queued() >= maxQueued) {
          if (!overflowing) logger.warn({ queued: queued() }, 'Slack requests refused (503): too many acknowledged ones are waiting for their handlers');
          overflowing = true;
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        }
        overflowing = false;
        noteArrival(); // the handlers wait while acks are coming in (src/app/turns.ts)
        res.writeHead(200).end();
        enqueue({ body: parsed, ack: noAck, retryNum: undefined, retryReason: undefined, customProperties: {} });
        return;
      }
    }
    bolt(req, res);
  };
  return Object.defineProperties(endpoint as SlackEndpoint, {
    settled: {
      value: async (timeoutMs = 5_000): Promise<void> => {
        const deadline = Date.now() + timeoutMs;
        while ((queued() || running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      },
    },
    queued: { get: queued },
    running: { get: () => running },
  });
}
