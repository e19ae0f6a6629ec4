// The simulator's input: a JSON-lines file of signals, read in large blocks and validated line by line. Each
// valid line is handed on with its event time and line number (signal-record.ts keeps what the engine reads).
import { describeIssues, SEVERITIES, signalSchema } from '../signals/signal.js';
import { eventTimeMicros } from './engine.js';
import { LineReader } from './lines.js';
import type { ValidSignal } from './signal-record.js';

export class SignalFileError extends Error {
  override readonly name = 'SignalFileError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const MAX_REPORTED_PROBLEMS = 50;
const SEVERITY_NAMES = new Set<unknown>(SEVERITIES);
const scalar = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * True when signalSchema would accept `data` as it is (no defaults to fill but `artifacts`): checked by hand
 * because zod costs several microseconds a line. Anything it is unsure of (a link, odd keys) goes to zod,
 * which decides, so this can only make valid lines faster, never change what is valid.
 */
function plainSignal(data: unknown): data is { id: string; source: string; type: string; occurredAt: string; severity?: string; artifacts?: Record<string, unknown> } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  if (typeof d.id !== 'string' || d.id === '' || typeof d.source !== 'string' || d.source === '' || typeof d.type !== 'string' || d.type === '') return false;
  if (typeof d.occurredAt !== 'string' || d.link !== undefined) return false;
  if (d.severity !== undefined && !SEVERITY_NAMES.has(d.severity)) return false;
  if (d.title !== undefined && typeof d.title !== 'string') return false;
  if (d.tags !== undefined && !(Array.isArray(d.tags) && d.tags.every((t) => typeof t === 'string'))) return false;
  if (d.raw !== undefined && (typeof d.raw !== 'object' || d.raw === null || Array.isArray(d.raw))) return false;
  const a = d.artifacts;
  if (a === undefined) return true;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return false;
  for (const key in a) {
    if (key === '__proto__') return false;
    const v = (a as Record<string, unknown>)[key];
    if (!scalar(v) && !(Array.isArray(v) && v.every(scalar))) return false;
  }
  return true;
}

/**
 * Reads and validates the file. Every valid line goes to `onSignal` with its event time (µs) and its 1-based
 * line number, until a line is bad: from then on only problems are collected (at most 50), and they are
 * thrown together. Returns the number of non-blank lines.
 */
export function readSignalFile(path: string, onSignal: (signal: ValidSignal, t: number, n: number) => void): number {
  let reader: LineReader;
  try {
    reader = new LineReader(path);
  } catch (err) {
    throw new SignalFileError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  const problems: string[] = [];
  let lines = 0;
  let n = 0;
  try {
    for (let line = reader.next(); line !== undefined; line = reader.next()) {
      n++;
      // A byte-order mark (files saved by Windows editors) is not part of the first line's JSON.
      const text = n === 1 && line.startsWith('\ufeff') ? line.slice(1) : line;
      if (text.charCodeAt(0) !== 123 && text.trim() === '') continue;
      lines++;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (err) {
        problems.push(`${path} line ${n}: not JSON: ${(err as Error).message}`);
        if (problems.length >= MAX_REPORTED_PROBLEMS) break;
        continue;
      }
      let t = plainSignal(data) ? eventTimeMicros(data.occurredAt) : undefined;
      if (t === undefined) {
        const parsed = signalSchema.safeParse(data);
        if (!parsed.success) {
          problems.push(...describeIssues(parsed.error).map((p) => `${path} line ${n}: ${p}`));
          if (problems.length >= MAX_REPORTED_PROBLEMS) break;
          continue;
        }
        data = parsed.data;
        t = eventTimeMicros(parsed.data.occurredAt)!;
      }
      if (problems.length) continue;
      onSignal(data as ValidSignal, t, n);
    }
  } catch (err) {
    // A read error after opening (a directory, an I/O error) is the file's problem, not a crash.
    if ((err as NodeJS.ErrnoException).syscall !== 'read') throw err;
    throw new SignalFileError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  } finally {
    reader.close();
  }
  if (problems.length) throw new SignalFileError(problems);
  return lines;
}
