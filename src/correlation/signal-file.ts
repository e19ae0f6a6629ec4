// The simulator's input: a JSON-lines file of signals, read in large blocks cut at line ends. Each block
// (a chunk of whole lines) is validated and encoded by a parser, by default in a worker thread (two chunks in three) and this one
// (signal-parse-pool.ts), and the chunks' records are handed on in file order with the number of lines
// before them, so every line keeps its number (signal-record.ts keeps what the engine reads). The lines'
// (source, id) keys are sorted by the parsers, and the file's duplicate lines are found at the end.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { RecordSorter } from './record-sort.js';
import { chunkParsers, defaultParseThreads, type Duplicates } from './signal-parse-pool.js';
import { MAX_REPORTED_PROBLEMS, type ParsedChunk } from './signal-parse.js';

export class SignalFileError extends Error {
  override readonly name = 'SignalFileError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface SignalFileOptions {
  /** Parse workers beside this thread, which parses too (0: this thread alone). Default: in this thread below 8 MiB, else defaultParseThreads(). */
  threads?: number;
  /** Bytes per chunk (default 1 MiB; tests use a few bytes to cut lines at every place). */
  blockSize?: number;
  /** Asked before each chunk is sent: may this thread parse it (default yes)? No: the workers take it, if any. */
  parseHere?: () => boolean;
  /** The key sorts' limits (each parser's): bytes (default 4 MiB) and records in memory before a run spills. */
  keySort?: { maxBytes?: number; maxItems?: number };
}

/** The file read: its non-blank lines, and (once the key sorts are merged) those whose (source, id) came on an earlier line. */
export interface SignalFileRead {
  lines: number;
  /** To be awaited: the parse workers stop when it settles (meanwhile the caller may finish its replay). */
  duplicates: Promise<Duplicates>;
}

const BLOCK = 1 << 20;
const SMALL_FILE = 8 << 20;
// Chunks sent to each parser before the first result is awaited: enough to keep the workers busy, few
// enough that memory stays a few blocks whatever the file size.
const IN_FLIGHT_PER_PARSER = 2;

/**
 * Reads and validates the file, keeping the artifact `fields` some rule reads. The records of every chunk go to `onChunk` with the number of lines before
 * the chunk and the parser that numbered its names, in file order, until a line is bad: from then on only
 * problems are collected (at most 50), and they are thrown together.
 */
export async function readSignalFile(path: string, fields: readonly string[], onChunk: (chunk: ParsedChunk, lineOffset: number, parser: number) => void, options: SignalFileOptions = {}): Promise<SignalFileRead> {
  const cannotRead = (err: unknown) => new SignalFileError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
    size = fstatSync(fd).size;
  } catch (err) {
    throw cannotRead(err);
  }
  const blockSize = options.blockSize ?? BLOCK;
  let carry = Buffer.alloc(0);
  let eof = false;
  // Blocks of chunks already stored, read into and written into again: a few in all, however large the file.
  const spareInput: ArrayBuffer[] = [];
  const spareRecords: ArrayBuffer[] = [];
  /** The next chunk of whole lines (the last one may end without a line end), or undefined at the end. */
  const readChunk = (): Uint8Array | undefined => {
    // A block of its own (not from the pool): it is transferred to a worker.
    const size = Math.max(blockSize, 2 * carry.length);
    const spare = spareInput.pop();
    let block = spare && spare.byteLength >= size ? Buffer.from(spare) : Buffer.allocUnsafeSlow(size);
    let filled = carry.copy(block, 0);
    for (;;) {
      while (filled < block.length) {
        const read = readSync(fd, block, filled, block.length - filled, null);
        if (read === 0) {
          eof = true;
          carry = Buffer.alloc(0);
          return filled ? block.subarray(0, filled) : undefined;
        }
        filled += read;
      }
      // Cut after the last \n; with none, after a \r that is not the block's last byte (it might be half of
      // a \r\n, and \n never occurs inside a UTF-8 character).
      let cut = block.lastIndexOf(10, filled - 1) + 1;
      if (cut === 0 && filled >= 2) cut = block.lastIndexOf(13, filled - 2) + 1;
      if (cut > 0) {
        carry = Buffer.from(block.subarray(cut, filled));
        return block.subarray(0, cut);
      }
      // A line longer than the block: read on into a block twice the size.
      const bigger = Buffer.allocUnsafeSlow(2 * block.length);
      block.copy(bigger, 0, 0, filled);
      block = bigger;
    }
  };

  const threads = options.threads ?? (size < SMALL_FILE ? 0 : defaultParseThreads());
  const keyLimits = { maxBytes: options.keySort?.maxBytes ?? 4 << 20, maxItems: options.keySort?.maxItems };
  const keys = new RecordSorter(keyLimits);
  const parsers = chunkParsers(fields, threads, keys, keyLimits);
  // Stops the workers, then removes the key runs (the workers' too), whether they were merged or the file was refused.
  const close = async () => {
    await parsers.close();
    keys.discard();
  };
  let duplicates: Promise<Duplicates> | undefined;
  const pending: ReturnType<typeof parsers.parse>[] = [];
  const problems: string[] = [];
  // The lines before each chunk, by its number (key records are numbered by chunk and line).
  const chunkOffsets: number[] = [];
  let lines = 0;
  let offset = 0;
  let lastLine = 0;
  try {
    for (;;) {
      // Chunks in flight per parser that may take them (fewer blocks held while this thread replays).
      const here = options.parseHere?.() ?? true;
      while (!eof && pending.length < IN_FLIGHT_PER_PARSER * (here || parsers.count === 1 ? parsers.count : parsers.count - 1)) {
        const bytes = readChunk();
        if (!bytes) break;
        const chunk = chunkOffsets.length + pending.length;
        pending.push(parsers.parse(bytes, chunk === 0, chunk, spareRecords.pop(), here));
      }
      const next = pending.shift();
      if (!next) break;
      const chunk = await next.result;
      lines += chunk.nonBlank;
      for (const { line, messages } of chunk.problems) {
        for (const message of messages) problems.push(`${path} line ${offset + line}: ${message}`);
        if (problems.length >= MAX_REPORTED_PROBLEMS) break;
      }
      if (problems.length >= MAX_REPORTED_PROBLEMS) break;
      if (!problems.length) onChunk(chunk, offset, next.parser);
      if (chunk.lastLine) lastLine = offset + chunk.lastLine;
      spareInput.push(chunk.input.buffer as ArrayBuffer);
      spareRecords.push(chunk.time.buffer as ArrayBuffer);
      chunkOffsets.push(offset);
      offset += chunk.lines;
    }
    if (!problems.length) {
      duplicates = parsers.duplicates(chunkOffsets, (lastLine >> 3) + 1).finally(close);
      return { lines, duplicates };
    }
  } catch (err) {
    // A read error after opening (a directory, an I/O error) is the file's problem, not a crash.
    if ((err as NodeJS.ErrnoException).syscall === 'read') throw cannotRead(err);
    throw err;
  } finally {
    closeSync(fd);
    if (!duplicates) await close();
  }
  throw new SignalFileError(problems);
}
