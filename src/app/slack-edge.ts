// In front of Bolt's HTTPReceiver: what can be refused from the headers alone is refused before the body is
// read. Bolt checks only that a timestamp is not more than 5 minutes old; a request stamped in the future
// (a clock set ahead, or a signature made for later replay) is refused here too. Bodies are read under the
// unauthenticated-body gate, then handed to Bolt already buffered (it verifies the signature on them).
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

export function guardSlackEndpoint(bolt: RequestListener, deps: { logger: Logger; gate: UnauthenticatedBodyGate }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { logger, gate } = deps;
  return async (req, res) => {
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
    bolt(req, res);
  };
}
