// A small authoritative DNS server for the dns plugin's tests (RFC 1035 over UDP on 127.0.0.1, port 0).
// It answers A, AAAA and PTR questions from a table: a name it knows without a record of the asked type gets
// NOERROR with no answers (NODATA), an unknown name gets NXDOMAIN, names listed in `servfail` get SERVFAIL,
// and with `silent` it reads every query and never answers (a dead server).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { isIPv4, isIPv6 } from 'node:net';

export interface DnsTable {
  A?: Record<string, string[]>;
  AAAA?: Record<string, string[]>;
  PTR?: Record<string, string[]>;
}

export interface DnsTestServerOptions {
  records?: DnsTable;
  /** Names answered with SERVFAIL. */
  servfail?: string[];
  /** Never answer: every query is recorded and dropped. */
  silent?: boolean;
  ttl?: number;
}

export interface DnsQuestion {
  id: number;
  name: string;
  type: string;
}

export interface DnsTestServer {
  /** `127.0.0.1:PORT`, as the plugin's `servers` setting takes it. */
  address: string;
  port: number;
  /** Every question received, in order. */
  questions: DnsQuestion[];
  /** Resolves with the next question the server receives from now on. */
  nextQuestion(): Promise<DnsQuestion>;
  close(): Promise<void>;
}

const TYPES: Record<number, string> = { 1: 'A', 12: 'PTR', 28: 'AAAA' };
const CLASS_IN = 1;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

class FormatError extends Error {}

interface ParsedQuery {
  id: number;
  flags: number;
  name: string;
  qtype: number;
  qclass: number;
  /** The question section's bytes, echoed as they came (resolvers compare it with what they sent). */
  questionBytes: Buffer;
}

/** Reads the header and the single question of a query (RFC 1035 4.1.1 and 4.1.2). */
export function parseQuery(packet: Buffer): ParsedQuery {
  if (packet.length < 12) throw new FormatError('shorter than a DNS header');
  const id = packet.readUInt16BE(0);
  const flags = packet.readUInt16BE(2);
  const qdcount = packet.readUInt16BE(4);
  if (flags & 0x8000) throw new FormatError('a response, not a query');
  if (qdcount !== 1) throw new FormatError(`${qdcount} questions; exactly one is supported`);
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    if (offset >= packet.length) throw new FormatError('QNAME runs past the end of the packet');
    const length = packet[offset]!;
    if (length === 0) {
      offset++;
      break;
    }
    // A question is the first name in the packet: there is nothing earlier to point at.
    if (length & 0xc0) throw new FormatError('compression pointer or reserved label type in QNAME');
    if (offset + 1 + length > packet.length) throw new FormatError('label runs past the end of the packet');
    labels.push(packet.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  if (offset + 4 > packet.length) throw new FormatError('QTYPE/QCLASS missing');
  const qtype = packet.readUInt16BE(offset);
  const qclass = packet.readUInt16BE(offset + 2);
  return { id, flags, name: labels.join('.'), qtype, qclass, questionBytes: packet.subarray(12, offset + 4) };
}

/** A domain name as length-prefixed labels, uncompressed. */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length > 63) throw new Error(`label ${label} is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? (ip.split('::') as [string, string]) : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function rdata(type: string, value: string): Buffer {
  if (type === 'A') {
    if (!isIPv4(value)) throw new Error(`A record ${value} is not an IPv4 address`);
    return ipv4Bytes(value);
  }
  if (type === 'AAAA') {
    if (!isIPv6(value) || value.includes('.')) throw new Error(`AAAA record ${value} is not a plain IPv6 address`);
    return ipv6Bytes(value);
  }
  return encodeName(value);
}

function header(id: number, queryFlags: number, rcode: number, ancount: number, qdcount: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  // QR=1, opcode copied, AA=1, RD copied, RA=1, RCODE.
  const flags = 0x8000 | (queryFlags & 0x7800) | 0x0400 | (queryFlags & 0x0100) | 0x0080 | (rcode & 0xf);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qdcount, 4);
  h.writeUInt16BE(ancount, 6);
  return h;
}

/** The response to one query, or undefined when the packet is too broken to answer at all. */
export function buildResponse(packet: Buffer, options: DnsTestServerOptions): { response: Buffer; question?: DnsQuestion } | undefined {
  let query: ParsedQuery;
  try {
    query = parseQuery(packet);
  } catch (err) {
    if (!(err instanceof FormatError) || packet.length < 4) return undefined;
    return { response: header(packet.readUInt16BE(0), packet.readUInt16BE(2), RCODE.FORMERR, 0, 0) };
  }
  const type = TYPES[query.qtype] ?? `TYPE${query.qtype}`;
  const question: DnsQuestion = { id: query.id, name: query.name, type };
  const reply = (rcode: number, answers: Buffer[] = []) => ({
    response: Buffer.concat([header(query.id, query.flags, rcode, answers.length, 1), query.questionBytes, ...answers]),
    question,
  });
  if ((query.flags & 0x7800) !== 0) return reply(RCODE.NOTIMP);
  if (query.qclass !== CLASS_IN) return reply(RCODE.NOTIMP);

  const name = query.name.toLowerCase().replace(/\.$/, '');
  if (options.servfail?.some((n) => n.toLowerCase() === name)) return reply(RCODE.SERVFAIL);
  const table = options.records ?? {};
  const lookup = (t: keyof DnsTable) => Object.entries(table[t] ?? {}).find(([n]) => n.toLowerCase().replace(/\.$/, '') === name)?.[1];
  const known = (['A', 'AAAA', 'PTR'] as const).some((t) => lookup(t) !== undefined);
  if (!known) return reply(RCODE.NXDOMAIN);
  const values = type in { A: 1, AAAA: 1, PTR: 1 } ? (lookup(type as keyof DnsTable) ?? []) : [];
  const ttl = options.ttl ?? 300;
  const answers = values.map((value) => {
    const data = rdata(type, value);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // NAME: a pointer to the question's name at offset 12
    rr.writeUInt16BE(query.qtype, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return reply(RCODE.NOERROR, answers);
}

export async function startDnsTestServer(options: DnsTestServerOptions = {}): Promise<DnsTestServer> {
  const socket: Socket = createSocket('udp4');
  const questions: DnsQuestion[] = [];
  const events = new EventEmitter();
  socket.on('message', (packet: Buffer, peer: RemoteInfo) => {
    const built = buildResponse(packet, options);
    if (built?.question) {
      questions.push(built.question);
      events.emit('question', built.question);
    }
    if (built && !options.silent) socket.send(built.response, peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    port,
    questions,
    nextQuestion: async () => ((await once(events, 'question')) as [DnsQuestion])[0],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
