// Normalization of artifact values for grouping and matching (shared/correlation/SEMANTICS.md):
// strings trimmed, Unicode NFC, lower-cased; IP addresses in canonical form (IPv4 dotted decimal without
// leading zeros, IPv6 per RFC 5952, IPv4-mapped IPv6 as IPv4); numbers as decimal strings; an empty string
// or an empty array is missing.
import { isIPv6 } from 'node:net';
import type { ArtifactValue } from './signal.js';

// Dotted quad, leading zeros allowed ("010.001.002.003" is 10.1.2.3: the contract's canonical form has none).
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function canonicalIPv4(text: string): string | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.join('.');
}

/** RFC 5952: lower-case hex, no leading zeros, the longest run (>= 2) of zero groups as "::" (first on ties). */
function canonicalIPv6(text: string): string | undefined {
  const zone = text.indexOf('%');
  const address = (zone >= 0 ? text.slice(0, zone) : text).toLowerCase();
  if (!isIPv6(address)) return undefined;
  // Expand to 8 groups, turning an embedded dotted quad into two groups.
  let head = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (dotted) {
    const v4 = canonicalIPv4(dotted[1]!);
    if (!v4) return undefined;
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    head = head.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = head.includes('::') ? head.split('::') as [string, string] : [head, undefined];
  const leftGroups = left ? left.split(':') : [];
  const rightGroups = right !== undefined && right !== '' ? right.split(':') : [];
  const missing = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...(right !== undefined ? Array(missing).fill('0') : []), ...rightGroups].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;

  // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address itself.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical form of an IP address, or undefined when the text is not one. */
export function canonicalIp(text: string): string | undefined {
  return canonicalIPv4(text) ?? (text.includes(':') ? canonicalIPv6(text) : undefined);
}

// The characters isNormalized allows, as classes a loop that reads each character anyway can OR together
// (the engine's key intern, hashing a value: see isNormalValue).
export const CHAR_PLAIN = 1;
export const CHAR_DIGIT = 2;
export const CHAR_OTHER = 4;
const CHAR_CLASSES = new Uint8Array(128).fill(CHAR_OTHER);
for (const c of 'abcdefghijklmnopqrstuvwxyz-_@/+=') CHAR_CLASSES[c.charCodeAt(0)] = CHAR_PLAIN;
for (const c of '0123456789.') CHAR_CLASSES[c.charCodeAt(0)] = CHAR_DIGIT;

/** The class of a UTF-16 code unit: CHAR_PLAIN, CHAR_DIGIT (digits and the dot) or CHAR_OTHER. */
export const charClass = (c: number): number => (c < 128 ? CHAR_CLASSES[c]! : CHAR_OTHER);

/**
 * True when normalizeValue(text) is text itself, decided from the characters alone (no IP parsing, no Unicode
 * normalization): lower-case ASCII letters, digits and - _ . @ / + =, with a letter or symbol somewhere (all
 * digits and dots could be an IPv4 address written with leading zeros). Lets a hot loop skip a cache lookup.
 */
export function isNormalized(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > 64) return false;
  let seen = 0;
  for (let i = 0; i < n; i++) seen |= charClass(text.charCodeAt(i));
  return seen === CHAR_PLAIN || seen === (CHAR_PLAIN | CHAR_DIGIT);
}

/**
 * isNormalized(text) || isCanonicalIPv4(text), given the classes of all its characters ORed: the already-normal
 * values a hot loop sees (names, hosts, canonical IPv4), so normalizeValue(text) is text.
 */
export function isNormalValue(text: string, classes: number): boolean {
  if (classes & CHAR_OTHER || text.length === 0) return false;
  return classes & CHAR_PLAIN ? text.length <= 64 : isCanonicalIPv4(text);
}

/**
 * True when text is an IPv4 address already in canonical form (four decimal groups of at most 255, no leading
 * zeros), so normalizeValue(text) is text: the other already-normal shape a hot loop sees often.
 */
export function isCanonicalIPv4(text: string): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let groups = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255 || ++groups > 4) return false;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false; // a leading zero
      value = value * 10 + c - 48;
      digits++;
    } else return false;
  }
  return groups === 4;
}

/** One scalar's normalized form, or undefined when it counts as missing. */
export function normalizeValue(value: string | number): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  // Most values already are normal (names, hosts, canonical IPv4): no regex, no Unicode normalization for them.
  if (isNormalized(value) || isCanonicalIPv4(value)) return value;
  return normalizeText(value);
}

/** normalizeValue of a string by the general path (exported for the tests that hold its shortcuts to it). */
export function normalizeText(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return canonicalIp(trimmed) ?? trimmed.normalize('NFC').toLowerCase();
}

/**
 * A field's normalized values: one for a scalar, the distinct non-empty ones of an array (in first-seen
 * order), none when missing. Duplicates inside one array collapse: a signal takes part once per distinct
 * combination of group values.
 */
export function normalizeValues(value: ArtifactValue | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    const one = normalizeValue(value);
    return one === undefined ? [] : [one];
  }
  const seen = new Set<string>();
  for (const item of value) {
    const n = normalizeValue(item);
    if (n !== undefined) seen.add(n);
  }
  return [...seen];
}

/** Signal type names compare case-insensitively, with runs of spaces, underscores and hyphens as one underscore. */
export function normalizeTypeName(name: string): string {
  return isNormalTypeName(name) ? name : normalizeTypeText(name);
}

/** normalizeTypeName by the general path (exported for the test that holds its shortcut to it). */
export function normalizeTypeText(name: string): string {
  return name.trim().normalize('NFC').toLowerCase().replace(/[\s_-]+/g, '_');
}

/** True when normalizeTypeText(name) is name: lower-case ASCII letters, digits and single underscores only. */
function isNormalTypeName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 95) {
      if (name.charCodeAt(i + 1) === 95) return false;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}
