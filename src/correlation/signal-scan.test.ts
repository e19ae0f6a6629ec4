import { describe, expect, it } from 'vitest';
import { LineScanner, VALUE_JSON, VALUE_TEXT } from './signal-scan.js';
import { RecordBuffer } from './record-sort.js';
import { addKeyRecord, addScannedKeyRecord, SignalCodec, type ValidSignal } from './signal-record.js';
import { ChunkParser } from './signal-parse.js';

const fields = ['user', 'ip', 'port'];
const base = '"id":"s1","source":"okta","type":"login_failed","occurredAt":"2026-01-05T08:00:00.000Z"';

const scanned = (line: string) => {
  const scanner = new LineScanner(fields);
  const buf = Buffer.from(line);
  return { ok: scanner.scan(buf, 0, buf.length), scanner, buf };
};

describe('LineScanner', () => {
  it('reads the plain shape, with spaces, a severity, a title and artifacts of strings and integers', () => {
    const line = `{ ${base} , "severity" : "high", "title":"x \u00e9", "artifacts" : { "user":"alice", "other":"\u00e9", "port": -443, "ip":"10.0.0.1" } }`;
    const { ok, scanner, buf } = scanned(line);
    expect(ok).toBe(true);
    const text = (i: number) => buf.toString('utf8', scanner.starts[i], scanner.ends[i]);
    expect([text(0), text(1), text(2), text(3)]).toEqual(['s1', 'okta', 'login_failed', '2026-01-05T08:00:00.000Z']);
    expect(scanner.severity).toBe(4);
    const value = (f: number) => buf.toString('utf8', scanner.valueStarts[f], scanner.valueEnds[f]);
    expect([...scanner.kinds]).toEqual([VALUE_TEXT, VALUE_TEXT, VALUE_JSON]);
    expect([value(0), value(1), value(2)]).toEqual(['alice', '10.0.0.1', '-443']);
  });

  it('leaves every unusual line to JSON.parse and the schema', () => {
    const slow = [
      `{${base},"id":"s2"}`, // a key twice
      `{${base},"artifacts":{"user":"a","user":"b"}}`,
      `{"id":"s\\u0031","source":"okta","type":"t","occurredAt":"2026-01-05T08:00:00Z"}`, // an escape
      `{${base},"tags":["a"]}`, // another key
      `{${base},"link":"https://x"}`,
      `{${base},"severity":"urgent"}`,
      `{${base},"artifacts":{"port":1.5}}`,
      `{${base},"artifacts":{"port":1e3}}`,
      `{${base},"artifacts":{"port":-0}}`,
      `{${base},"artifacts":{"port":0123}}`,
      `{${base},"artifacts":{"port":1234567890123456}}`,
      `{${base},"artifacts":{"user":["a"]}}`,
      `{${base},"artifacts":{"user":null}}`,
      `{${base},"artifacts":{"a.b":"x"}}`,
      `{${base},"artifacts":{"$x":"x"}}`,
      `{${base},"artifacts":{"":"x"}}`,
      `{${base},"artifacts":{"__proto__":"x"}}`,
      `{${base},"artifacts":{"user":"\u00e9"}}`, // a kept string that is not ASCII
      `{"id":"\u00e9","source":"okta","type":"t","occurredAt":"2026-01-05T08:00:00Z"}`,
      `{"id":"","source":"okta","type":"t","occurredAt":"2026-01-05T08:00:00Z"}`,
      `{"source":"okta","type":"t","occurredAt":"2026-01-05T08:00:00Z"}`,
      `{${base}} x`,
      `{${base},}`,
      `{${base}`,
      `{${base},"title":"a\tb"}`, // a control character
      `{${base},"title":5}`,
      `{}`,
    ];
    for (const line of slow) expect(scanned(line).ok, line).toBe(false);
  });

  it('gives the same time and key records as the JSON.parse path', () => {
    const line = `{${base},"severity":"low","artifacts":{"ip":"10.1.2.3","port":8080,"x":"y"}}`;
    const { ok, scanner, buf } = scanned(line);
    expect(ok).toBe(true);
    const fast = [new RecordBuffer(64), new RecordBuffer(64)] as const;
    const slow = [new RecordBuffer(64), new RecordBuffer(64)] as const;
    new SignalCodec(fields).addScanned(fast[0], 7, 3, scanner, buf, 'okta', 'login_failed');
    addScannedKeyRecord(fast[1], 3, buf, scanner.starts[1]!, scanner.ends[1]!, scanner.starts[0]!, scanner.ends[0]!);
    const s = JSON.parse(line) as ValidSignal;
    new SignalCodec(fields).add(slow[0], 7, 3, s, 'okta', 'login_failed');
    addKeyRecord(slow[1], 3, s.source, s.id);
    expect(Buffer.from(fast[0].bytes())).toEqual(Buffer.from(slow[0].bytes()));
    expect(Buffer.from(fast[1].bytes())).toEqual(Buffer.from(slow[1].bytes()));
  });

  it('makes a chunk of plain and unusual lines into the records and problems line by line parsing gives', () => {
    const lines = [
      `{${base}}`,
      `{"id":"s\\u0032","source":"Okta ","type":"t","occurredAt":"2026-01-05T08:00:01Z","artifacts":{"port":1.5}}`,
      '   ',
      `{${base.replace('s1', 's3')},"artifacts":{"user":"bob","port":22}}`,
    ];
    const keys = [new RecordBuffer(64), new RecordBuffer(64)] as const;
    const whole = new ChunkParser(fields).parse(Buffer.from(`\ufeff${lines.join('\r\n')}\n`), true, keys[0]);
    // Each line alone, through a parser whose scanner never says yes, numbered as in the chunk.
    const reference = new ChunkParser(fields);
    (reference as unknown as { scanner: { scan: () => boolean } }).scanner = { scan: () => false };
    const one = reference.parse(Buffer.from(`\ufeff${lines.join('\r\n')}\n`), true, keys[1]);
    expect(whole.lines).toBe(4);
    expect(whole.nonBlank).toBe(3);
    expect(Buffer.from(whole.time)).toEqual(Buffer.from(one.time));
    expect(Buffer.from(keys[0].bytes())).toEqual(Buffer.from(keys[1].bytes()));
    expect(whole.names).toEqual(one.names);

    const bad = `{${base}}\n{"id":5}\n{${base}\n{${base}}\n`;
    const problems = new ChunkParser(fields).parse(Buffer.from(bad), false, new RecordBuffer(64)).problems;
    expect(problems.map((p) => p.line)).toEqual([2, 3]);
    expect(problems).toEqual(reference.parse(Buffer.from(bad), false, new RecordBuffer(64)).problems);
  });
});

describe('ChunkParser', () => {
  it('refuses an artifact name the store cannot hold, as live ingestion does (signalSchema)', () => {
    const names = ['a.b', '$x', '', 'nul\\u0000'];
    const text = names.map((k, i) => `{${base.replace('s1', `s${i}`)},"artifacts":{"${k}":"v"}}`).join('\n') + `\n{${base},"artifacts":{"x$":"v"}}\n`;
    const { problems } = new ChunkParser(fields).parse(Buffer.from(text), false, new RecordBuffer(64));
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4]);
    for (const p of problems) expect(p.messages.join(' ')).toMatch(/artifact name must not/);
  });
});
