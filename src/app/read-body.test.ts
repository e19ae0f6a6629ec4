// readBody (src/app/http-server.ts) over a real server and raw sockets: the whole body, a declared or streamed
// body over the limit refused (and the request destroyed), a sender gone before the end an error, not a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { BodyTooLargeError, readBody } from './http-server.js';

const LIMIT = 64;
let server: Server;
let port: number;
const outcomes: Promise<unknown>[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const read = readBody(req, LIMIT).then(
      (body) => {
        res.writeHead(200).end(body);
        return body.toString('utf8');
      },
      (err: Error & { code?: string }) => {
        if (!res.destroyed) res.writeHead(err instanceof BodyTooLargeError ? 413 : 400, { connection: 'close' }).end();
        return err;
      },
    );
    outcomes.push(read);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Writes `parts` on a raw socket, a turn apart; resolves with what came back once the server closes or answers. */
function send(parts: string[], endSocket = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, async () => {
      for (const part of parts) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (endSocket) socket.destroy();
    });
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got)) socket.destroy();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
}

const head = (extra: string) => `POST / HTTP/1.1\r\nhost: x\r\n${extra}\r\n`;

describe('readBody', () => {
  it('reads a body sent in several chunks, whole', async () => {
    outcomes.length = 0;
    const answer = await send([head('content-length: 11\r\n'), 'hello ', 'world']);
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(await outcomes[0]).toBe('hello world');
  });

  it('refuses a declared length over the limit before reading, and a chunked body once it passes the limit', async () => {
    outcomes.length = 0;
    expect(await send([head(`content-length: ${LIMIT + 1}\r\n`)])).toMatch(/^HTTP\/1.1 413/);
    expect(await outcomes[0]).toBeInstanceOf(BodyTooLargeError);
    outcomes.length = 0;
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    await send([head('transfer-encoding: chunked\r\n'), chunk('a'.repeat(40)), chunk('b'.repeat(40)), '0\r\n\r\n']);
    const err = await outcomes[0];
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as Error).message).toMatch(`over the limit of ${LIMIT}`);
  });

  it('fails, not hangs, when the sender goes away before the end of its body', async () => {
    outcomes.length = 0;
    await send([head('content-length: 50\r\n'), 'only part of it'], true);
    await expect.poll(() => outcomes.length).toBe(1);
    const err = (await outcomes[0]) as Error & { code?: string };
    expect(err).toBeInstanceOf(Error);
    // Node reports the request aborted (ECONNRESET); a close without that error is a premature close.
    expect(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE']).toContain(err.code);
  });
});
