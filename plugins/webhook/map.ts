// Maps any JSON event to a Signal by the paths configured for its source (config.ts). Never throws: an event
// that lacks a required value, or carries a value that cannot be what its field says, gets an error naming the
// field and the path, so the sender can fix either side.
import type { MappedSignal } from '../../src/plugins/types.js';
import { SEVERITIES, type ArtifactValue, type Severity, type Signal } from '../../src/signals/signal.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { getPath, hashKind, normalizeHostname, normalizeUsername, toIsoTime, validPort } from '../../src/signals/extractors.js';
import type { SourceMapping } from './config.js';
import { own } from '../../src/app/own.js';

type Scalar = string | number;
/** A converted value, or a reason it cannot be one; undefined = missing (left out). */
type Converted = { value: Scalar } | { error: string } | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Text of a scalar; undefined for null, "", objects. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

const show = (value: unknown) => JSON.stringify(value) ?? String(value);

/** Field-specific rules for the shared artifact vocabulary; other fields keep strings and numbers as given. */
function convertArtifact(field: string, value: unknown): Converted {
  if (value === null || value === undefined || value === '') return undefined;
  if (isRecord(value) || Array.isArray(value)) return { error: `${show(value)} is not a string or number` };
  if (field === 'username') {
    const name = normalizeUsername(text(value));
    return name === undefined ? undefined : { value: name };
  }
  if (field === 'hostname') {
    // An IP address is not a host name: left out rather than refused (senders put either in "host").
    const name = normalizeHostname(text(value));
    return name === undefined ? undefined : { value: name };
  }
  if (field === 'ip' || field.endsWith('_ip')) {
    const ip = typeof value === 'string' ? canonicalIp(value.trim()) : undefined;
    return ip === undefined ? { error: `${show(value)} is not an IP address` } : { value: ip };
  }
  if (field === 'port' || field.endsWith('_port')) {
    const port = validPort(value);
    return port === undefined ? { error: `${show(value)} is not a port (1..65535)` } : { value: port };
  }
  if (field === 'md5' || field === 'sha1' || field === 'sha256') {
    const hash = typeof value === 'string' ? value.trim().toLowerCase() : '';
    return hashKind(hash) === field ? { value: hash } : { error: `${show(value)} is not a ${field} hex digest` };
  }
  if (typeof value === 'number') return Number.isFinite(value) ? { value } : { error: `${show(value)} is not a finite number` };
  return { value: text(value)! };
}

function severityOf(value: unknown, map: Record<string, Severity> | undefined): Severity | { error: string } | undefined {
  const key = text(value);
  if (key === undefined) return undefined;
  if (map) {
    const hit = own(map, key) ?? Object.entries(map).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    if (hit) return hit;
  }
  const named = SEVERITIES.find((s) => s === key.toLowerCase());
  if (named) return named;
  return { error: `${show(value)} is not one of ${SEVERITIES.join('|')}${map ? ` nor a key of severityMap (${Object.keys(map).join(', ')})` : ''}` };
}

function mapEvent(sourceName: string, m: SourceMapping, event: unknown, index: number): MappedSignal {
  if (!isRecord(event)) return { index, error: `the event is not a JSON object (got ${Array.isArray(event) ? 'an array' : show(event)})` };
  const problems: string[] = [];
  const required = (field: string, path: string): string | undefined => {
    const value = text(getPath(event, path));
    if (value === undefined) problems.push(`${field}: no value at "${path}"`);
    return value;
  };

  const id = required('id', m.id);
  const type = typeof m.type === 'string' ? required('type', m.type) : m.type.value;

  let occurredAt: string | undefined;
  const time = getPath(event, m.occurredAt);
  if (time === undefined || time === null || time === '') problems.push(`occurredAt: no value at "${m.occurredAt}"`);
  else {
    occurredAt = toIsoTime(time);
    if (!occurredAt) problems.push(`occurredAt: ${show(time)} at "${m.occurredAt}" is not an ISO-8601 time with an offset, nor epoch seconds or milliseconds`);
  }

  let severity: Severity | undefined;
  if (m.severity) {
    const s = severityOf(getPath(event, m.severity), m.severityMap);
    if (typeof s === 'object') problems.push(`severity: ${s.error} (at "${m.severity}")`);
    else severity = s;
  }

  const title = m.title ? text(getPath(event, m.title)) : undefined;

  let link: string | undefined;
  if (m.link) {
    const raw = text(getPath(event, m.link));
    if (raw !== undefined) {
      if (/^https?:\/\/\S+$/i.test(raw) && URL.canParse(raw)) link = raw;
      else problems.push(`link: ${show(raw)} at "${m.link}" is not an http(s) URL`);
    }
  }

  const artifacts: Record<string, ArtifactValue> = {};
  for (const [field, path] of Object.entries(m.artifacts)) {
    const value = getPath(event, path);
    const items = Array.isArray(value) ? value : [value];
    const converted: Scalar[] = [];
    for (const item of items) {
      const c = convertArtifact(field, item);
      if (c && 'error' in c) problems.push(`artifacts.${field}: ${c.error} (at "${path}")`);
      else if (c && !converted.includes(c.value)) converted.push(c.value);
    }
    if (converted.length) artifacts[field] = Array.isArray(value) ? converted : converted[0]!;
  }

  let tags: string[] | undefined;
  if (m.tags) {
    const value = getPath(event, m.tags);
    const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    tags = list.map(text).filter((t): t is string => t !== undefined);
    if (list.some((t) => isRecord(t) || Array.isArray(t))) problems.push(`tags: ${show(value)} at "${m.tags}" is not a string or a list of strings`);
  }

  if (problems.length) return { index, error: problems.join('; ') };
  const signal: Signal = {
    id: id!,
    source: sourceName,
    type: type!,
    occurredAt: occurredAt!,
    ...(severity ? { severity } : {}),
    ...(title ? { title } : {}),
    artifacts,
    ...(tags?.length ? { tags } : {}),
    ...(link ? { link } : {}),
    raw: event,
  };
  return { index, signal };
}

/** The `map` of one configured source: the body is one event, or an envelope with the events at `events`. */
export function createMapper(sourceName: string, m: SourceMapping): (body: unknown) => MappedSignal[] {
  return (body) => {
    if (!m.events) return [mapEvent(sourceName, m, body, 0)];
    const events = getPath(body, m.events);
    if (!Array.isArray(events)) return [{ index: 0, error: `events: no array at "${m.events}"` }];
    return events.map((event, index) => mapEvent(sourceName, m, event, index));
  };
}
