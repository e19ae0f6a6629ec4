// The Signal contract checked without zod for the shape nearly every event has, because signalSchema.safeParse is
// most of a webhook's CPU before its insert, and several microseconds a line of `taser simulate`: the first 500 signals of a process take about 15 ms in zod (its code
// is not compiled yet; about 1.2 ms once it is), as long as the insert itself. `checkSignal` accepts only what
// signalSchema accepts and returns what it returns (the same keys, in the same order; fresh objects and arrays
// where zod makes them); anything else (a missing or wrong field, a link, an undefined value, a "__proto__" key,
// a symbol key) is left to zod, which then answers or names the problems as before. signal-check.test.ts holds
// the two to each other on generated valid and broken signals.
import { parseEventTime } from './event-time.js';
import { SEVERITIES, type Signal } from './signal.js';

const SEVERITY_SET: ReadonlySet<unknown> = new Set(SEVERITIES);
/** signalSchema's keys in its order (zod's output lists them first, then the extra keys in input order). */
const SHAPE = ['id', 'source', 'type', 'occurredAt', 'severity', 'title', 'artifacts', 'tags', 'link', 'raw'] as const;
const SHAPE_SET: ReadonlySet<string> = new Set(SHAPE);
// The artifact name rule of signalSchema (refused there: empty, ".", NUL, a leading "$", "__proto__").
const ARTIFACT_NAME = /^[^$.\0][^.\0]*$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype && Object.getOwnPropertySymbols(v).length === 0;
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const scalar = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** A copy of the artifacts as signalSchema makes it, or undefined when zod must look (it may refuse them). */
function checkArtifacts(artifacts: unknown): Record<string, Signal['artifacts'][string]> | undefined {
  if (!isPlainObject(artifacts)) return undefined;
  const out: Record<string, Signal['artifacts'][string]> = {};
  for (const name of Object.keys(artifacts)) {
    if (name === '__proto__' || !ARTIFACT_NAME.test(name)) return undefined;
    const value = artifacts[name];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (!scalar(value[i])) return undefined;
      out[name] = value.slice() as (string | number)[];
    } else if (scalar(value)) out[name] = value as string | number;
    else return undefined;
  }
  return out;
}

/** The parsed signal when `value` is a plain, valid signal of the common shape; undefined: ask signalSchema. */
export function checkSignal(value: unknown): Signal | undefined {
  if (!isPlainObject(value)) return undefined;
  const { id, source, type, occurredAt, severity, title, artifacts, tags, link, raw } = value;
  if (!nonEmpty(id) || !nonEmpty(source) || !nonEmpty(type) || typeof occurredAt !== 'string' || parseEventTime(occurredAt) === undefined) return undefined;
  if (link !== undefined || ('link' in value)) return undefined;
  if (severity !== undefined && !SEVERITY_SET.has(severity)) return undefined;
  if (title !== undefined && typeof title !== 'string') return undefined;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) return undefined;
  let tagsOut: string[] | undefined;
  if (tags !== undefined) {
    if (!Array.isArray(tags)) return undefined;
    for (let i = 0; i < tags.length; i++) if (typeof tags[i] !== 'string') return undefined; // by index: a hole is refused
    tagsOut = tags.slice() as string[];
  }
  const artifactsOut = artifacts === undefined ? {} : checkArtifacts(artifacts);
  if (!artifactsOut) return undefined;
  const out: Record<string, unknown> = { id, source, type, occurredAt };
  if ('severity' in value) {
    if (severity === undefined) return undefined;
    out.severity = severity;
  }
  if ('title' in value) {
    if (title === undefined) return undefined;
    out.title = title;
  }
  out.artifacts = artifactsOut;
  if ('tags' in value) {
    if (tagsOut === undefined) return undefined;
    out.tags = tagsOut;
  }
  if ('raw' in value) {
    if (raw === undefined) return undefined;
    out.raw = raw;
  }
  // Extra keys pass through as they are, after the shape's (zod's loose object); undefined ones are zod's to place.
  for (const key in value) {
    if (SHAPE_SET.has(key)) continue;
    const extra = value[key];
    if (key === '__proto__' || extra === undefined) return undefined;
    out[key] = extra;
  }
  return out as Signal;
}
