import { describe, expect, it } from 'vitest';
import { BodyParseError, parseEventsBody } from './body.js';

describe('signal webhook bodies', () => {
  it('accepts one object, an array, and NDJSON', () => {
    expect(parseEventsBody(Buffer.from('{"a":1}'), 'application/json')).toEqual([{ index: 0, event: { a: 1 } }]);
    expect(parseEventsBody(Buffer.from('[{"a":1},{"a":2}]'), 'application/json').map((e) => e.event)).toEqual([{ a: 1 }, { a: 2 }]);
    const nd = parseEventsBody(Buffer.from('{"a":1}\n\n{"a":2}\n'), 'application/x-ndjson');
    expect(nd).toEqual([{ index: 0, event: { a: 1 } }, { index: 2, event: { a: 2 } }]);
    expect(parseEventsBody(Buffer.from('{"a":1}\n{"a":2}'), 'application/json')).toHaveLength(2);
  });

  it('names the bad line of a malformed body', () => {
    expect(() => parseEventsBody(Buffer.from(''), 'application/json')).toThrow(BodyParseError);
    expect(() => parseEventsBody(Buffer.from('{"a":'), 'application/json')).toThrow(/not JSON/);
    try {
      parseEventsBody(Buffer.from('{"a":1}\n{oops\n'), 'application/x-ndjson');
      expect.unreachable();
    } catch (err) {
      expect((err as BodyParseError).problems[0]).toMatch(/^line 2: not JSON/);
    }
  });
});
