import { describe, expect, it } from 'vitest';
import { RecordSorter } from './record-sort.js';
import { addKeyRecord, ChunkKeys, markDuplicates, SignalCodec, type ValidSignal } from './signal-record.js';

describe('SignalCodec', () => {
  it('gives back what the engine reads of a signal, for the fields the rules name', () => {
    const codec = new SignalCodec(['username', 'port', 'ips', 'absent']);
    const signals: [ValidSignal, string, string][] = [
      [{ id: 's1', source: 'Okta', type: 'login', severity: 'high', artifacts: { username: 'alice', port: 443, ips: ['10.0.0.1', 7], other: 'dropped' } }, 'okta', 'login'],
      [{ id: 'é𝄞\n"x"', source: 'duo', type: 'push', artifacts: { username: '' } }, 'duo', 'push'],
      [{ id: 'no-artifacts', source: 'duo', type: 'push', severity: 'info' }, 'duo', 'push'],
    ];
    const sorter = new RecordSorter();
    signals.forEach(([s, source, type], i) => codec.add(sorter, 1_000 * i + 0.5, i + 1, s, source, type));
    const back: unknown[] = [];
    sorter.drain((r) => back.push(codec.decode(r.buf, r.start, r.k1, r.k2)));
    expect(back).toEqual([
      { id: 's1', t: 0.5, seq: 1, source: 'okta', type: 'login', severity: 'high', artifacts: { username: 'alice', port: 443, ips: ['10.0.0.1', 7] } },
      { id: 'é𝄞\n"x"', t: 1000.5, seq: 2, source: 'duo', type: 'push', severity: undefined, artifacts: { username: '' } },
      { id: 'no-artifacts', t: 2000.5, seq: 3, source: 'duo', type: 'push', severity: 'info', artifacts: {} },
    ]);
  });
});

describe('markDuplicates', () => {
  const marked = (duplicate: Uint8Array) => [...Array(duplicate.length * 8).keys()].filter((n) => duplicate[n >> 3]! & (1 << (n & 7)));

  it('marks every later line of a (source, id), and no key that only looks alike', () => {
    const keys = new RecordSorter({ maxBytes: 4096 });
    const lines: [string, string][] = [['okta', 'a'], ['duo', 'a'], ['okta', 'a'], ['ab', 'c'], ['a', 'bc'], ['okta', 'a'], ['duo', 'a']];
    for (let i = 0; i < 200; i++) lines.push(['bulk', `id${i % 150}`]);
    lines.forEach(([source, id], i) => addKeyRecord(keys, i + 1, source, id));
    const duplicate = new Uint8Array(lines.length / 8 + 1);
    expect(markDuplicates(keys, duplicate)).toBe(3 + 50);
    expect(marked(duplicate)).toEqual([3, 6, 7, ...Array.from({ length: 50 }, (_, i) => 158 + i)]);
  });

  it('tells keys of equal hash apart by their bytes (a collision is not a duplicate)', () => {
    const keys = new RecordSorter({ maxItems: 2 });
    // Records as addKeyRecord writes them, forced to one hash: lines 1 and 3 are the same key, 2 is not.
    const payloads = ['\u0001\u0000\u0000\u0000xa', '\u0001\u0000\u0000\u0000xb', '\u0001\u0000\u0000\u0000xa', '\u0001\u0000\u0000\u0000xb', '\u0001\u0000\u0000\u0000xc'];
    payloads.forEach((p, i) => {
      const start = keys.begin(42, i + 1, p.length);
      keys.commit(start + keys.buf.write(p, start, 'latin1'));
    });
    const duplicate = new Uint8Array(1);
    expect(markDuplicates(keys, duplicate)).toBe(2);
    expect(marked(duplicate)).toEqual([3, 4]);
  });

  it('marks the file lines of key records numbered by chunk, whichever parser sorted which chunk', () => {
    // Three chunks of 3, 2 and 4 lines (a blank line in the second), read by two parsers with sorts of their own.
    const chunks: [string, string][][] = [[['okta', 'a'], ['duo', 'a'], ['okta', 'b']], [['okta', 'b']], [['duo', 'a'], ['x', 'y'], ['okta', 'a'], ['okta', 'b']]];
    const chunkOffsets = [0, 3, 5];
    const sorts = [new RecordSorter({ maxItems: 2 }), new RecordSorter({ maxItems: 3 })];
    chunks.forEach((chunk, c) => {
      const keys = new ChunkKeys(sorts[c % 2]!);
      keys.chunk = c;
      chunk.forEach(([source, id], i) => addKeyRecord(keys, c === 1 ? 2 : i + 1, source, id));
    });
    sorts[1]!.adoptRuns(sorts[0]!.takeRuns());
    const duplicate = new Uint8Array(2);
    expect(markDuplicates(sorts[1]!, duplicate, chunkOffsets)).toBe(4);
    expect(marked(duplicate)).toEqual([5, 6, 8, 9]);
    sorts[0]!.discard();
  });
});
