// Signal webhook bodies: one JSON object, a JSON array of objects, or NDJSON (one object per line).
export interface RawEvent {
  /** 0-based position in the body (array index or NDJSON line - 1), for error messages. */
  index: number;
  event: unknown;
}

/** Deeper events are refused: no vendor nests this far, and walking a 100,000-deep event costs minutes. */
export const MAX_EVENT_DEPTH = 64;

/** True when a parsed JSON value nests objects/arrays deeper than `max` (iterative: no stack to overflow). */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

export class BodyParseError extends Error {
  override readonly name = 'BodyParseError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Splits a body into raw events and refuses events nested deeper than MAX_EVENT_DEPTH, naming them. */
export function parseEventsBody(raw: Buffer, contentType: string | undefined): RawEvent[] {
  const events = splitEvents(raw, contentType);
  const problems: string[] = [];
  for (const { index, event } of events) {
    if (deeperThan(event, MAX_EVENT_DEPTH)) problems.push(`event ${index}: nested deeper than ${MAX_EVENT_DEPTH} levels`);
    if (problems.length >= MAX_PROBLEMS) break;
  }
  if (problems.length) throw new BodyParseError(problems);
  return events;
}

/** Problems collected per request at most: past them the request is refused anyway, and an answer or log line stays small. */
export const MAX_PROBLEMS = 100;
/** One problem line at most this long (a mapper's message may quote a huge value). */
const MAX_PROBLEM_LENGTH = 500;

/** The problems to answer and log: at most MAX_PROBLEMS lines of bounded length, then how many more there were. */
export function capProblems(problems: string[], total = problems.length): string[] {
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => (p.length > MAX_PROBLEM_LENGTH ? `${p.slice(0, MAX_PROBLEM_LENGTH)}...` : p));
  if (total > shown.length) shown.push(`...and ${total - shown.length} more problems (fix these and resend)`);
  return shown;
}

/** NDJSON is recognised by its content type or by several JSON lines. */
function splitEvents(raw: Buffer, contentType: string | undefined): RawEvent[] {
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
  if (problems.length) throw new BodyParseError(capProblems(problems));
  return events;
}
