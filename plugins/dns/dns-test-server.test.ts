// The test DNS server's wire format, byte by byte, so the provider tests stand on a server known to be right.
import { describe, expect, it } from 'vitest';
import { buildResponse, encodeName, parseQuery } from './dns-test-server.js';

// id 0xbeef, RD set, one question: web01.example.com IN A
const query = Buffer.concat([
  Buffer.from([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
  encodeName('web01.example.com'),
  Buffer.from([0, 1, 0, 1]),
]);

describe('dns test server', () => {
  it('parses the header and the question', () => {
    expect(encodeName('web01.example.com')).toEqual(Buffer.from('\x05web01\x07example\x03com\x00', 'latin1'));
    expect(parseQuery(query)).toMatchObject({ id: 0xbeef, name: 'web01.example.com', qtype: 1, qclass: 1 });
  });

  it('answers with the question echoed and the name compressed to a pointer', () => {
    const { response } = buildResponse(query, { records: { A: { 'web01.example.com': ['10.1.2.3'] } }, ttl: 60 })!;
    expect(response.readUInt16BE(0)).toBe(0xbeef);
    expect(response.readUInt16BE(2)).toBe(0x8580); // QR AA RD RA, NOERROR
    expect([response.readUInt16BE(4), response.readUInt16BE(6)]).toEqual([1, 1]);
    expect(response.subarray(12, query.length)).toEqual(query.subarray(12));
    const rr = response.subarray(query.length);
    expect([...rr]).toEqual([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3]);
  });

  it('says NXDOMAIN for an unknown name and NODATA for a known name without that type', () => {
    expect(buildResponse(query, {})!.response.readUInt16BE(2) & 0xf).toBe(3);
    const nodata = buildResponse(query, { records: { AAAA: { 'web01.example.com': ['2001:db8::1'] } } })!.response;
    expect([nodata.readUInt16BE(2) & 0xf, nodata.readUInt16BE(6)]).toEqual([0, 0]);
  });

  it('answers FORMERR to a question whose name runs past the packet', () => {
    const truncated = query.subarray(0, 16);
    const { response, question } = buildResponse(truncated, {})!;
    expect(question).toBeUndefined();
    expect(response.readUInt16BE(0)).toBe(0xbeef);
    expect(response.readUInt16BE(2) & 0x800f).toBe(0x8001);
  });
});
