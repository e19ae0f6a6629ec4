// Vendor-neutral helpers for source mappers: reading values out of a vendor payload by path, normalizing user
// and host names, and pulling indicators (IPs, emails, domains, URLs, hashes) out of free text. Pure functions:
// they never throw on odd input, they return undefined or an empty list. Lists are de-duplicated, first-seen order.
import { canonicalIp } from './normalize.js';
import { parseEventTime } from './signal.js';

// ---------------------------------------------------------------- paths

export type PathSegment = string | number;

/**
 * Parses a path such as `a.b[0].c` or `a["x.y"]` into segments; throws an Error saying what is wrong when the
 * syntax is bad (configs use it to reject a path before any event arrives).
 */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`bad path ${JSON.stringify(path)} at character ${i + 1}: ${why}`);
  };
  if (path.length === 0) fail('the path is empty');
  let expectKey = true; // at the start and after a dot, a bare key must follow
  while (i < path.length) {
    const ch = path[i]!;
    if (ch === '[') {
      if (expectKey && segments.length > 0) fail('"[" cannot follow "."');
      const close = path.indexOf(']', i);
      const quote = path[i + 1];
      if (quote === '"' || quote === "'") {
        const end = path.indexOf(quote, i + 2);
        if (end < 0 || path[end + 1] !== ']') fail(`unterminated quoted key (expected ${quote}])`);
        segments.push(path.slice(i + 2, end));
        i = end + 2;
      } else {
        if (close < 0) fail('missing "]"');
        const inner = path.slice(i + 1, close);
        if (!/^\d+$/.test(inner)) fail(`an index must be a non-negative integer or a quoted key, got [${inner}]`);
        segments.push(Number(inner));
        i = close + 1;
      }
      expectKey = false;
    } else if (ch === '.') {
      if (expectKey) fail('empty key');
      i++;
      expectKey = true;
    } else if (ch === ']' || ch === '"' || ch === "'") {
      fail(`unexpected ${ch}`);
    } else {
      if (!expectKey) fail('expected "." or "[" between keys');
      let end = i;
      while (end < path.length && !'.[]"\''.includes(path[end]!)) end++;
      segments.push(path.slice(i, end));
      i = end;
      expectKey = false;
    }
  }
  if (expectKey) fail('the path ends with "."');
  return segments;
}

/** The value at a dotted path (`a.b[0].c`, `a["x.y"]`), or undefined when absent or the path is malformed. */
export function getPath(obj: unknown, path: string): unknown {
  let segments: PathSegment[];
  try {
    segments = parsePath(path);
  } catch {
    return undefined;
  }
  let current: unknown = obj;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = String(segment);
    // Own properties only: a path must never reach Object.prototype ("constructor", "__proto__").
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

// ---------------------------------------------------------------- names

/** Trimmed, NFC, lower-case, without a `DOMAIN\` prefix; undefined for non-strings, "" and "null". */
function normalizeName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const slash = raw.lastIndexOf('\\');
  const name = (slash >= 0 ? raw.slice(slash + 1) : raw).trim().normalize('NFC').toLowerCase();
  return name === '' || name === 'null' ? undefined : name;
}

/** A user name as correlation groups it: `EIP\Administrator` -> "administrator". */
export function normalizeUsername(raw: unknown): string | undefined {
  return normalizeName(raw);
}

/** A host name: `QA\SM-2K16` -> "sm-2k16", `host.example.` -> "host.example"; undefined for an IP address. */
export function normalizeHostname(raw: unknown): string | undefined {
  const name = normalizeName(raw)?.replace(/\.+$/, '');
  if (!name || canonicalIp(name) !== undefined) return undefined;
  return name;
}

// ---------------------------------------------------------------- indicators in free text

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

// Hex groups and colons, optionally ending in a dotted quad; validated by canonicalIp afterwards.
const IPV6_CANDIDATE = /(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?:%[0-9A-Za-z_.]+)?/g;
// A dotted quad not inside a longer dotted number (versions like 1.2.3.4.5 are not addresses).
const IPV4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d|\.\d)/g;

function ipv6Matches(text: string): { index: number; length: number; ip: string }[] {
  const found: { index: number; length: number; ip: string }[] = [];
  for (const m of text.matchAll(IPV6_CANDIDATE)) {
    let candidate = m[0];
    if (!/[0-9a-f]/i.test(candidate)) continue; // "::" alone is punctuation in prose, not an address
    let ip = canonicalIp(candidate);
    if (ip === undefined && candidate.endsWith(':') && !candidate.endsWith('::')) {
      candidate = candidate.slice(0, -1); // "2001:db8::1: error"
      ip = canonicalIp(candidate);
    }
    if (ip !== undefined) found.push({ index: m.index, length: candidate.length, ip });
  }
  return found;
}

/** IPv4 and IPv6 addresses in the text, in canonical form. */
export function extractIps(text: string): string[] {
  const v6 = ipv6Matches(text);
  // Blank the IPv6 spans so the dotted quad inside "64:ff9b::1.2.3.4" is not also taken as IPv4.
  let masked = text;
  for (const { index, length } of v6) masked = masked.slice(0, index) + ' '.repeat(length) + masked.slice(index + length);
  const found = [...v6.map(({ index, ip }) => ({ index, ip }))];
  for (const m of masked.matchAll(IPV4_CANDIDATE)) {
    const ip = canonicalIp(m[0]);
    if (ip !== undefined) found.push({ index: m.index, ip });
  }
  return unique(found.sort((a, b) => a.index - b.index).map((f) => f.ip));
}

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-]|\.[A-Za-z0-9])/g;

/** E-mail addresses in the text, lower-cased. */
export function extractEmails(text: string): string[] {
  return unique([...text.matchAll(EMAIL)].map((m) => m[0].toLowerCase()));
}

const DOMAIN = /(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})(?![\w-]|\.[\w-])/g;

// Endings of file names that would otherwise read as domains ("cmd.exe", "run.js"). None is a delegated TLD
// except a few (zip, mov, sh, pl, py, rs) that are far more often file names in security events.
const FILE_EXTENSIONS = new Set([
  'exe', 'dll', 'sys', 'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'hta', 'jar', 'class',
  'msi', 'lnk', 'scr', 'cpl', 'ocx', 'drv', 'tmp', 'dat', 'bin', 'log', 'txt', 'csv', 'json', 'xml', 'yml', 'yaml',
  'ini', 'cfg', 'conf', 'py', 'pyc', 'sh', 'pl', 'rb', 'rs', 'php', 'asp', 'aspx', 'jsp', 'htm', 'html', 'css',
  'doc', 'docx', 'docm', 'xls', 'xlsx', 'xlsm', 'ppt', 'pptx', 'pdf', 'rtf', 'png', 'jpg', 'jpeg', 'gif', 'bmp',
  'ico', 'svg', 'zip', 'rar', 'gz', 'tgz', 'bz2', 'xz', '7z', 'tar', 'iso', 'img', 'vhd', 'mov', 'mp3', 'mp4',
  'avi', 'wav', 'db', 'sqlite', 'bak', 'old', 'pem', 'crt', 'cer', 'key', 'pfx', 'so', 'dylib', 'ts', 'md',
]);

/**
 * Domain names in the text, lower-cased: not IP addresses, not the domain part of an e-mail address (those are
 * in extractEmails), and not file names (the last label must be alphabetic or punycode and not a file extension).
 */
export function extractDomains(text: string): string[] {
  const withoutEmails = text.replace(EMAIL, (m) => ' '.repeat(m.length));
  const domains: string[] = [];
  for (const m of withoutEmails.matchAll(DOMAIN)) {
    const domain = m[0].toLowerCase();
    const tld = domain.slice(domain.lastIndexOf('.') + 1);
    if (!FILE_EXTENSIONS.has(tld)) domains.push(domain);
  }
  return unique(domains);
}

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"'`{}|\\^]+/gi;

/** Strips sentence punctuation after a URL, and closing brackets that have no opener inside it. */
function trimUrl(url: string): string {
  const pairs: Record<string, string> = { ')': '(', ']': '[' };
  for (;;) {
    const last = url.at(-1)!;
    if ('.,;:!?*'.includes(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const opener = pairs[last];
    if (opener && url.split(opener).length - 1 < url.split(last).length - 1) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

/** http(s) URLs in the text, trailing punctuation stripped. */
export function extractUrls(text: string): string[] {
  const urls: string[] = [];
  for (const m of text.matchAll(URL_CANDIDATE)) {
    const url = trimUrl(m[0]);
    if (/^https?:\/\/[^/?#]/i.test(url)) urls.push(url);
  }
  return unique(urls);
}

const HASH = /(?<!\w)(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})(?!\w)/g;

/** MD5, SHA-1 and SHA-256 hex digests in the text, lower-cased, by length. */
export function extractHashes(text: string): { md5: string[]; sha1: string[]; sha256: string[] } {
  const result = { md5: [] as string[], sha1: [] as string[], sha256: [] as string[] };
  for (const m of text.matchAll(HASH)) {
    const hash = m[0].toLowerCase();
    const kind = hashKind(hash)!;
    if (!result[kind].includes(hash)) result[kind].push(hash);
  }
  return result;
}

/** Which digest a hex string is, by its length; undefined when it is not exactly one. */
export function hashKind(h: string): 'md5' | 'sha1' | 'sha256' | undefined {
  if (!/^[0-9a-f]+$/i.test(h)) return undefined;
  return h.length === 32 ? 'md5' : h.length === 40 ? 'sha1' : h.length === 64 ? 'sha256' : undefined;
}

// ---------------------------------------------------------------- scalars

/** A TCP/UDP port 1..65535 from a number or a decimal string; undefined otherwise (vendors send garbage here). */
export function validPort(n: unknown): number | undefined {
  const port = typeof n === 'number' ? n : typeof n === 'string' && /^\s*\d+\s*$/.test(n) ? Number(n) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

// Below this an epoch number is seconds (until the year 5138), from it milliseconds (since March 1973).
const EPOCH_MILLIS_FROM = 1e11;

/**
 * An event time as ISO-8601: a string with an offset or Z is kept as given when it names a real instant
 * (2017-09-31 does not); epoch seconds or milliseconds (number or digit string) become ISO in UTC (Z).
 * A time without an offset is undefined: its zone cannot be known.
 */
export function toIsoTime(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return fromEpoch(Number(text));
    return parseEventTime(text) === undefined ? undefined : text;
  }
  if (typeof value === 'number') return fromEpoch(value);
  return undefined;
}

function fromEpoch(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const date = new Date(n < EPOCH_MILLIS_FROM ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
