// How a signal is written to the database and read back. A vendor event is any valid JSON, but the database
// refuses some of it (keys with "." or NUL or starting with "$", nested arrays on FerretDB): a 503 for that
// would make the vendor retry forever. So the signal's own fields (checked by signalSchema, which refuses
// such artifact names with a 400) are stored as fields, for queries and indexes, and everything that comes
// from outside unchecked (`raw` and any extra field a mapper added) is stored as one JSON string.
import type { Signal } from './signal.js';

/** The Signal fields stored as they are; every other field travels in `payload`. */
const FIELDS = ['id', 'source', 'type', 'occurredAt', 'severity', 'title', 'artifacts', 'tags', 'link'] as const;
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);

export interface EncodedSignal {
  signal: Signal;
  /** JSON of `{raw, ...extra fields}`; absent when there is none. */
  payload?: string;
}

export function encodeSignal(signal: Signal): EncodedSignal {
  const fields: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(signal)) {
    const value = (signal as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (FIELD_SET.has(key)) fields[key] = value;
    else rest[key] = value;
  }
  return Object.keys(rest).length ? { signal: fields as Signal, payload: JSON.stringify(rest) } : { signal: fields as Signal };
}

/** The signal as it was ingested. */
export function decodeSignal(doc: EncodedSignal): Signal {
  if (doc.payload === undefined) return doc.signal;
  const rest = JSON.parse(doc.payload) as Record<string, unknown>;
  // Only the payload's own keys, and never one that would shadow a stored field.
  const extra = Object.fromEntries(Object.entries(rest).filter(([k]) => !FIELD_SET.has(k)));
  return { ...doc.signal, ...extra } as Signal;
}
