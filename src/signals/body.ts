// Signal webhook bodies: one JSON object, a JSON array of objects, or NDJSON (one object per line).
export interface RawEvent {
  /** 0-based position in the body (array index or NDJSON line - 1), for error messages. */
  index: number;
  event: unknown;
}

export class BodyParseError extends Error {
  override readonly name = 'BodyParseError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Splits a body into raw events; NDJSON is recognised by its content type or by several JSON lines. */
export function parseEventsBody(raw: Buffer, contentType: string | undefined): RawEvent[] {
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new BodyParseError(['body is empty']);
  const ndjson = /ndjson|jsonl|json-seq/i.test(contentType ?? '');
  if (!ndjson) {
    try {
      const value = JSON.parse(text) as unknown;
      return Array.isArray(value) ? value.map((event, index) => ({ index, event })) : [{ index: 0, event: value }];
    } catch (err) {
      if (!text.trim().includes('\n')) throw new BodyParseError([`body is not JSON: ${(err as Error).message}`]);
      // Several lines that are not one JSON document: try NDJSON.
    }
  }
  const events: RawEvent[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push({ index: i, event: JSON.parse(line) as unknown });
    } catch (err) {
      problems.push(`line ${i + 1}: not JSON: ${(err as Error).message}`);
    }
  });
  if (problems.length) throw new BodyParseError(problems);
  return events;
}
