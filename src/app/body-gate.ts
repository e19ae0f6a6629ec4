// Bodies read before their sender is authenticated (HMAC schemes sign the body, so it must be read first) are
// limited in number at once, in size and in time, so a flood of slow or large unsigned requests cannot hold
// the process's memory or sockets. Schemes that authenticate by headers alone (bearer) check before reading.
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBody } from './http-server.js';

export class GateFullError extends Error {
  override readonly name = 'GateFullError';
}

export class BodyTimeoutError extends Error {
  override readonly name = 'BodyTimeoutError';
}

export class UnauthenticatedBodyGate {
  private inFlight = 0;

  constructor(
    /** Unauthenticated bodies being read at once; more are refused (503) without reading them. */
    readonly maxConcurrent: number,
    /** A body not fully received in this time is refused (408) and its connection dropped. */
    readonly timeoutMs = 10_000,
  ) {}

  get reading(): number {
    return this.inFlight;
  }

  /** Reads a body under the gate; throws GateFullError, BodyTooLargeError or BodyTimeoutError. */
  async read(req: IncomingMessage, limit: number): Promise<Buffer> {
    if (this.inFlight >= this.maxConcurrent) throw new GateFullError(`${this.inFlight} unauthenticated bodies are being read; retry shortly`);
    this.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new BodyTimeoutError(`body not received within ${this.timeoutMs} ms`));
          req.destroy();
        }, this.timeoutMs);
      });
      return await Promise.race([readBody(req, limit), timeout]);
    } finally {
      clearTimeout(timer);
      this.inFlight--;
    }
  }
}

/** The HTTP answer for a gate refusal, or undefined when the error is not one. */
export function gateRefusal(err: unknown): { status: number; error: string; message: string; headers: Record<string, string> } | undefined {
  if (err instanceof GateFullError) return { status: 503, error: 'busy', message: err.message, headers: { 'retry-after': '1', connection: 'close' } };
  if (err instanceof BodyTooLargeError) return { status: 413, error: 'body_too_large', message: err.message, headers: { connection: 'close' } };
  if (err instanceof BodyTimeoutError) return { status: 408, error: 'body_timeout', message: err.message, headers: { connection: 'close' } };
  return undefined;
}
