// In front of Bolt's HTTPReceiver: what can be refused from the headers alone is refused before the body is
// read. Bolt checks only that a timestamp is not more than 5 minutes old; a request stamped in the future
// (a clock set ahead, or a signature made for later replay) is refused here too. Bodies are read under the
// unauthenticated-body gate, then handed to Bolt already buffered (it verifies the signature on them).
//
// Slash commands are acknowledged here, right after their signature is verified, before Bolt sees them: every
// taser command handler acks with an empty body and answers through response_url (src/app/slack-routes.ts),
// so the empty 200 is exactly what Bolt would have sent, only without waiting behind Bolt's own work for the
// requests queued before it. Bolt then processes the command with its ack going nowhere.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { gateRefusal, UnauthenticatedBodyGate } from './body-gate.js';
import { sendJson } from './http-server.js';
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

/** A slash command's form body (`command=/x&...&response_url=...`): the only kind acknowledged at the edge. */
function isSlashCommand(req: IncomingMessage, body: Buffer): boolean {
  if (!header(req, 'content-type')?.startsWith('application/x-www-form-urlencoded')) return false;
  const form = new URLSearchParams(body.toString('utf8'));
  return form.get('command')?.startsWith('/') === true && !!form.get('response_url') && !form.has('payload');
}

/** Where Bolt's own ack of an already-acknowledged command goes: nowhere. */
function ackSink(): ServerResponse {
  const sink = {
    headersSent: false,
    statusCode: 200,
    writeHead() {
      sink.headersSent = true;
      return sink;
    },
    setHeader: () => sink,
    getHeader: () => undefined,
    write: () => true,
    end: () => sink,
    on: () => sink,
    once: () => sink,
  };
  return sink as unknown as ServerResponse;
}

/** The guarded endpoint, and a way for shutdown to let acknowledged commands reach Bolt first. */
export interface SlackEndpoint {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Resolves once every command acknowledged here has been handed to Bolt (or after timeoutMs). */
  settled(timeoutMs?: number): Promise<void>;
}

export function guardSlackEndpoint(
  bolt: RequestListener,
  deps: { logger: Logger; gate: UnauthenticatedBodyGate; /** Enables acking slash commands at the edge. */ signingSecret?: string },
): SlackEndpoint {
  const { logger, gate, signingSecret } = deps;
  // Commands already acknowledged wait here for Bolt, one per turn of the event loop: each turn first serves
  // the I/O that arrived (other requests' acks), so an ack never waits behind more than one command's work.
  const forBolt: (() => void)[] = [];
  const nextForBolt = () => {
    forBolt.shift()?.();
    if (forBolt.length) setImmediate(nextForBolt);
  };
  const toBolt = (work: () => void) => {
    if (forBolt.push(work) === 1) setImmediate(nextForBolt);
  };
  const endpoint = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const problem = slackHeaderProblem(req);
    if (problem) {
      logger.warn({ reason: problem, remote: req.socket.remoteAddress }, 'Slack request refused before reading its body');
      res.writeHead(401, { connection: 'close' }).end();
      req.resume();
      return;
    }
    const unsigned = header(req, 'x-slack-signature') === undefined;
    let body: Buffer;
    try {
      body = await gate.read(req, unsigned ? UNSIGNED_MAX_BODY : SLACK_MAX_BODY);
    } catch (err) {
      const refusal = gateRefusal(err);
      if (!refusal) throw err;
      logger.warn({ reason: refusal.message, remote: req.socket.remoteAddress }, 'Slack request refused while reading its body');
      if (!res.headersSent && !res.destroyed) sendJson(res, refusal.status, { error: refusal.error, message: refusal.message }, refusal.headers);
      return;
    }
    // Bolt reads `rawBody` instead of the stream when it is already there (HTTPModuleFunctions.bufferIncomingMessage).
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    const signature = header(req, 'x-slack-signature');
    const timestamp = header(req, 'x-slack-request-timestamp');
    if (signingSecret && signature && timestamp && isSlashCommand(req, body) && validSlackSignature(signingSecret, timestamp, body, signature)) {
      res.writeHead(200).end();
      toBolt(() => bolt(req, ackSink()));
      return;
    }
    bolt(req, res);
  };
  return Object.assign(endpoint, {
    async settled(timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (forBolt.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    },
  });
}
