// The tamper-evident case log: every case event carries the hash of the entry before it (`prevHash`) and its
// own SHA-256 (`hash`) over a canonical serialization of what it says, so changing, removing or inserting an
// entry breaks the chain from there on, and a chain head copied earlier (an export, the case message) proves
// a later rewrite. docs/case-log.md describes the serialization for people who verify an export themselves.
import { createHash } from 'node:crypto';

/** The `prevHash` of entry 1: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry's hash covers: everything it says except its own `_id` (derived from caseId and seq) and hash. */
export interface ChainedContent {
  caseId: string;
  seq: number;
  at: Date;
  actor: string;
  kind: string;
  data: unknown;
  prevHash: string;
}

/** A value that cannot be serialized canonically (a NaN, a function...): refused before anything is stored. */
export class CanonicalFormError extends Error {}

/**
 * The payload as it is stored and hashed: plain objects and arrays, Dates kept as Dates (the database gives
 * them back as Dates), keys whose value is undefined dropped (MongoDB would store them as null), undefined in
 * an array becomes null (as JSON does). Anything else a database would not give back unchanged is refused.
 */
export function canonicalPayload(value: unknown, path = 'data'): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CanonicalFormError(`${path}: ${value} has no canonical form (finite numbers only)`);
    return Object.is(value, -0) ? 0 : value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new CanonicalFormError(`${path}: an invalid Date`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : canonicalPayload(v, `${path}.${i}`)));
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = canonicalPayload(v, `${path}.${k}`);
    return out;
  }
  throw new CanonicalFormError(`${path}: a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value} has no canonical form`);
}

/**
 * Canonical JSON: no whitespace; object keys sorted by UTF-16 code units (JavaScript's default sort); Dates as
 * ISO-8601 strings with milliseconds in UTC (`2026-11-30T02:04:05.000Z`); numbers as JSON.stringify writes them
 * (shortest round-trip form, -0 as 0); strings escaped as JSON.stringify does; undefined object values left out
 * and undefined array items written as null. NaN and Infinity are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CanonicalFormError(`${value} has no canonical form`);
    return JSON.stringify(Object.is(value, -0) ? 0 : value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  throw new CanonicalFormError(`a ${typeof value} has no canonical form`);
}

/** SHA-256 (hex) of the canonical JSON of {actor, at, caseId, data, kind, prevHash, seq}. */
export function entryHash(e: ChainedContent): string {
  const content = { actor: e.actor, at: e.at, caseId: e.caseId, data: e.data, kind: e.kind, prevHash: e.prevHash, seq: e.seq };
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

export type ChainProblem = 'seq_gap' | 'missing_hash' | 'prev_hash_mismatch' | 'hash_mismatch' | 'truncated';

export type VerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; seq: number; problem: ChainProblem; message: string; entries: number; expected?: string; found?: string };

/** A stored entry as read back, unchecked: an old entry may lack its hashes, a tampered one anything. */
export interface StoredEntry extends Omit<ChainedContent, 'prevHash'> {
  prevHash?: string;
  hash?: string;
}

/**
 * Checks a case log entry by entry, in sequence order, holding only the previous hash: the first entry that
 * differs is the answer. `end()` also compares the chain's end with the sequence the case recorded, so
 * entries removed from the end are reported too.
 */
export class ChainChecker {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private failure: Extract<VerifyResult, { ok: false }> | undefined;
  private count = 0;

  constructor(private readonly caseId: string) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** The head so far: the last good entry's hash (genesis before the first). */
  get head(): string {
    return this.prevHash;
  }

  /** Checks the next entry; returns false once the chain is broken (later entries are not checked). */
  push(e: StoredEntry): boolean {
    if (this.failure) return false;
    const fail = (problem: ChainProblem, message: string, extra: { expected?: string; found?: string } = {}) => {
      this.failure = { ok: false, seq: Math.min(e.seq, this.expectedSeq), problem, message, entries: this.count, ...extra };
      return false;
    };
    if (e.seq !== this.expectedSeq) {
      return e.seq > this.expectedSeq
        ? fail('seq_gap', `entry ${this.expectedSeq} is missing: the log goes from ${this.expectedSeq - 1} to ${e.seq}`, { expected: String(this.expectedSeq), found: String(e.seq) })
        : fail('seq_gap', `entry ${e.seq} appears twice or out of order after ${this.expectedSeq - 1}`, { expected: String(this.expectedSeq), found: String(e.seq) });
    }
    if (typeof e.hash !== 'string' || typeof e.prevHash !== 'string') {
      return fail('missing_hash', `entry ${e.seq} has no ${typeof e.hash !== 'string' ? 'hash' : 'prevHash'}: written before the case log was chained, or its hash was removed`);
    }
    if (e.prevHash !== this.prevHash) {
      return fail('prev_hash_mismatch', `entry ${e.seq}'s prevHash is not the hash of entry ${e.seq - 1}: an entry before it was replaced, or this one was moved`, { expected: this.prevHash, found: e.prevHash });
    }
    let computed: string;
    try {
      computed = entryHash({ caseId: e.caseId, seq: e.seq, at: e.at, actor: e.actor, kind: e.kind, data: e.data, prevHash: e.prevHash });
    } catch (err) {
      return fail('hash_mismatch', `entry ${e.seq} cannot be serialized canonically (${(err as Error).message}): it was changed`);
    }
    if (computed !== e.hash || e.caseId !== this.caseId) {
      return fail('hash_mismatch', `entry ${e.seq}'s content does not match its hash: it was changed after it was written`, { expected: computed, found: e.hash });
    }
    this.prevHash = e.hash;
    this.expectedSeq += 1;
    this.count += 1;
    return true;
  }

  /** The verdict; `recordedSeq` is the last sequence number the case itself recorded (its lastSeq). */
  end(recordedSeq = 0): VerifyResult {
    if (this.failure) return this.failure;
    if (recordedSeq > this.count) {
      return {
        ok: false,
        seq: this.count + 1,
        problem: 'truncated',
        message: `the case recorded ${recordedSeq} entries but its log ends at ${this.count}: entries were removed from the end`,
        entries: this.count,
        expected: String(recordedSeq),
        found: String(this.count),
      };
    }
    return { ok: true, entries: this.count, head: this.prevHash };
  }
}

/** Checks a whole log (any async iterable in sequence order). */
export async function verifyChain(caseId: string, entries: AsyncIterable<StoredEntry>, recordedSeq = 0): Promise<VerifyResult> {
  const checker = new ChainChecker(caseId);
  for await (const e of entries) if (!checker.push(e)) break;
  return checker.end(recordedSeq);
}
