// Reading the fields the simulator keeps straight from a line's bytes, without JSON.parse and the object it
// builds: the parse workers' hot path (signal-parse.ts). Only the plain shape is read here: one object with the
// keys id, source, type, occurredAt, severity, title and artifacts, each at most once, strings without escapes
// or control characters, artifact values that are such strings or short integers. Anything else (an escape,
// another key, a float, a list, a nested value, bad JSON) makes `scan` say false, and the line goes to
// JSON.parse and the checks it always went through: so this can only make a line faster, never change what
// it is or which error it gets.
import { SEVERITIES } from '../signals/signal.js';

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN = 123;
const CLOSE = 125;
const MINUS = 45;

// The top-level keys read, in the order of their bit in `seen`.
const KEYS = ['id', 'source', 'type', 'occurredAt', 'severity', 'title', 'artifacts'].map((k) => Buffer.from(k));
const ID = 0;
const SOURCE = 1;
const TYPE = 2;
const OCCURRED_AT = 3;
const SEVERITY = 4;
const ARTIFACTS = 6;
const REQUIRED = (1 << ID) | (1 << SOURCE) | (1 << TYPE) | (1 << OCCURRED_AT);
const SEVERITY_BYTES = SEVERITIES.map((s) => Buffer.from(s));
const PROTO = Buffer.from('__proto__');

/** An artifact value's kind, as the time record tags it (signal-record.ts): a string, or a number's JSON. */
export const VALUE_TEXT = 1;
export const VALUE_JSON = 2;

const equal = (b: Uint8Array, start: number, end: number, word: Uint8Array) => {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[start + i] !== word[i]) return false;
  return true;
};

/** Scans lines one at a time; after a `scan` that said true, the fields are byte ranges of the line. */
export class LineScanner {
  /** Start and end of the id, source, type, occurredAt strings' bytes (indexed ID...OCCURRED_AT). */
  readonly starts = new Int32Array(4);
  readonly ends = new Int32Array(4);
  /** 0: no severity, else its index in SEVERITIES plus 1. */
  severity = 0;
  /** Per rule field: its value's bytes (a string's inside the quotes, a number's digits), and VALUE_TEXT / VALUE_JSON, or 0 when absent. */
  readonly valueStarts: Int32Array;
  readonly valueEnds: Int32Array;
  readonly kinds: Uint8Array;
  private readonly fields: Buffer[];
  /** The last string scanned was all ASCII. */
  private ascii = true;

  /** `fields`: the artifact fields some rule reads. */
  constructor(fields: readonly string[]) {
    this.fields = fields.map((f) => Buffer.from(f));
    this.valueStarts = new Int32Array(fields.length);
    this.valueEnds = new Int32Array(fields.length);
    this.kinds = new Uint8Array(fields.length);
  }

  /**
   * True when b[start, end) (a line whose first byte is `{`) is a plain signal, JSON.parse would read it, and
   * every string kept is ASCII (so its bytes are its UTF-16 units); false sends the line the slow way.
   */
  scan(b: Uint8Array, start: number, end: number): boolean {
    this.kinds.fill(0);
    this.severity = 0;
    let seen = 0;
    let i = space(b, start + 1, end);
    for (;;) {
      if (b[i] !== QUOTE) return false;
      const keyEnd = this.string(b, i + 1, end);
      if (keyEnd < 0) return false;
      let key = -1;
      for (let k = 0; k < KEYS.length; k++) {
        if (equal(b, i + 1, keyEnd, KEYS[k]!)) {
          key = k;
          break;
        }
      }
      if (key < 0 || seen & (1 << key)) return false;
      seen |= 1 << key;
      i = space(b, keyEnd + 1, end);
      if (b[i] !== COLON) return false;
      i = space(b, i + 1, end);
      if (key === ARTIFACTS) {
        if (b[i] !== OPEN) return false;
        i = this.artifacts(b, i, end);
        if (i < 0) return false;
      } else {
        if (b[i] !== QUOTE) return false;
        const valueEnd = this.string(b, i + 1, end);
        if (valueEnd < 0) return false;
        if (key < SEVERITY) {
          if (!this.ascii) return false;
          this.starts[key] = i + 1;
          this.ends[key] = valueEnd;
        } else if (key === SEVERITY) {
          for (let s = 0; s < SEVERITY_BYTES.length && !this.severity; s++) if (equal(b, i + 1, valueEnd, SEVERITY_BYTES[s]!)) this.severity = s + 1;
          if (!this.severity) return false;
        }
        i = valueEnd + 1;
      }
      i = space(b, i, end);
      if (b[i] === COMMA) {
        i = space(b, i + 1, end);
        continue;
      }
      if (b[i] !== CLOSE) return false;
      break;
    }
    if (space(b, i + 1, end) !== end || (seen & REQUIRED) !== REQUIRED) return false;
    // Empty id, source or type: the schema's error.
    return this.ends[ID]! > this.starts[ID]! && this.ends[SOURCE]! > this.starts[SOURCE]! && this.ends[TYPE]! > this.starts[TYPE]!;
  }

  /** The artifacts object at b[i] (`{`): returns the index after it, or -1 when it is not plain. */
  private artifacts(b: Uint8Array, i: number, end: number): number {
    i = space(b, i + 1, end);
    if (b[i] === CLOSE) return i + 1;
    for (;;) {
      if (b[i] !== QUOTE) return -1;
      const keyStart = i + 1;
      const keyEnd = this.string(b, keyStart, end);
      // A name the schema refuses (empty, ".", NUL, a leading "$", "__proto__") goes the slow way, which decides.
      if (keyEnd <= keyStart || b[keyStart] === 36 || equal(b, keyStart, keyEnd, PROTO)) return -1;
      for (let j = keyStart; j < keyEnd; j++) if (b[j] === 46) return -1;
      let field = -1;
      for (let f = 0; f < this.fields.length; f++) {
        if (equal(b, keyStart, keyEnd, this.fields[f]!)) {
          field = f;
          break;
        }
      }
      i = space(b, keyEnd + 1, end);
      if (b[i] !== COLON) return -1;
      i = space(b, i + 1, end);
      let valueStart: number;
      let valueEnd: number;
      let kind: number;
      if (b[i] === QUOTE) {
        valueStart = i + 1;
        valueEnd = this.string(b, valueStart, end);
        if (valueEnd < 0) return -1;
        i = valueEnd + 1;
        kind = VALUE_TEXT;
      } else {
        valueStart = i;
        valueEnd = integer(b, i, end);
        if (valueEnd < 0) return -1;
        i = valueEnd;
        kind = VALUE_JSON;
      }
      if (field >= 0) {
        // Twice the same field: JSON.parse keeps the last; the slow way does that.
        if (this.kinds[field] || (kind === VALUE_TEXT && !this.ascii)) return -1;
        this.kinds[field] = kind;
        this.valueStarts[field] = valueStart;
        this.valueEnds[field] = valueEnd;
      }
      i = space(b, i, end);
      if (b[i] === COMMA) {
        i = space(b, i + 1, end);
        continue;
      }
      return b[i] === CLOSE ? i + 1 : -1;
    }
  }

  /** The string whose bytes start at b[i]: the index of its closing quote, or -1 (an escape, a control character, no end). */
  private string(b: Uint8Array, i: number, end: number): number {
    let high = 0;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.ascii = high < 0x80;
        return i;
      }
      if (c === BACKSLASH || c < 0x20) return -1;
      high |= c;
    }
    return -1;
  }
}

/** Past spaces and tabs (a line holds no other JSON whitespace). */
function space(b: Uint8Array, i: number, end: number): number {
  while (i < end && (b[i] === 32 || b[i] === 9)) i++;
  return i;
}

/**
 * An integer of at most 15 digits at b[i], written as JSON.stringify writes it back (no leading zero, no
 * "-0"): the index after it, or -1 (other numbers, and anything else, go the slow way).
 */
function integer(b: Uint8Array, i: number, end: number): number {
  const start = i;
  if (b[i] === MINUS) i++;
  const first = i;
  while (i < end && b[i]! >= 48 && b[i]! <= 57) i++;
  const digits = i - first;
  if (digits === 0 || digits > 15 || (b[first] === 48 && (digits > 1 || first > start))) return -1;
  // A fraction or an exponent follows: not an integer as written.
  if (i < end && (b[i] === 46 || b[i] === 101 || b[i] === 69)) return -1;
  return i;
}
