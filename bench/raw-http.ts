// A lean HTTP/1.1 client for the edge benches: requests are rendered to bytes (headers, signature and body)
// before the clock starts and written on plain sockets, and a response is done when its head and its
// Content-Length body (or the last chunk) have arrived. node:http's client costs a parser, an agent lookup
// and several objects a request; in a burst of 200 that client work was part of what the bench timed.
import { connect, type Socket } from 'node:net';

/** One request as bytes. */
export function rawRequest(url: URL, headers: Record<string, string>, body: string): Buffer {
  const head = [`POST ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: keep-alive', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body, 'utf8')]);
}

const HEAD_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** A keep-alive connection that sends one request at a time and reads back its response. */
export class RawConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting?: { resolve: (status: number) => void };
  private failed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.parse();
    });
    const fail = () => {
      this.failed = true;
      this.waiting?.resolve(-1);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', fail);
  }

  /** Opens a connection; requests written before it is established are queued by the socket. */
  static open(url: URL): RawConnection {
    return new RawConnection(connect({ host: url.hostname, port: Number(url.port) }));
  }

  /** Opens a connection and waits until it is established. */
  static async ready(url: URL): Promise<RawConnection> {
    const c = RawConnection.open(url);
    await new Promise<void>((resolve, reject) => c.socket.once('connect', resolve).once('error', reject));
    return c;
  }

  /** Writes `request`; resolves with the response's status (-1 when the connection failed). */
  send(request: Buffer): Promise<number> {
    if (this.failed) return Promise.resolve(-1);
    return new Promise((resolve) => {
      this.waiting = { resolve };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buffered.indexOf(HEAD_END);
    if (end < 0 || !this.waiting) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let total: number;
    if (length) total = end + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = this.buffered.indexOf(LAST_CHUNK, end + 4);
      if (last < 0) return;
      total = last + LAST_CHUNK.length;
    } else total = end + 4;
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(status);
  }
}

/** Sends `requests` at once, each on its own connection (opened now when `connections` is not given); latencies in ms. */
export async function burst(url: URL, requests: Buffer[], connections?: RawConnection[]): Promise<{ ms: number; status: number }[]> {
  const started = performance.now();
  const sent = requests.map(async (request, i) => {
    const c = connections?.[i] ?? RawConnection.open(url);
    const status = await c.send(request);
    const ms = performance.now() - started;
    if (!connections) c.close();
    return { ms, status };
  });
  return Promise.all(sent);
}
