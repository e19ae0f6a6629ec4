// The parsers a signals file's chunks go to: worker threads (signal-parse-worker.ts), so reading JSON runs on
// another core than the simulator, and this thread itself, which has little else to do while the file is
// read (alone for a small file, where starting a worker costs more than it saves). A chunk's result comes
// back as a promise, and results are awaited in the order the chunks were sent, so the file's order is kept.
// The chunks' key records go to a key sort in the parser that read them (this thread's: the simulator's),
// and at the end the first worker merges them all and says which lines are duplicates.
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecordSorter } from './record-sort.js';
import { ChunkParser, type ParsedChunk } from './signal-parse.js';
import { ChunkKeys, markDuplicates } from './signal-record.js';

/** What a parse worker is asked (signal-parse-worker.ts); it answers each in turn. */
export type WorkerRequest =
  | { kind: 'chunk'; bytes: Uint8Array; first: boolean; chunk: number; reuse?: ArrayBuffer }
  | { kind: 'takeRuns' }
  | { kind: 'mark'; runs: string[]; chunkOffsets: number[]; size: number };

/** Lines whose (source, id) came on an earlier line: one bit per line number. */
export interface Duplicates {
  duplicate: Uint8Array;
  count: number;
}

export interface ChunkParsers {
  /** How many parsers there are (the workers and this thread): chunks are numbered by the parser that took them (its name table). */
  readonly count: number;
  /**
   * Chunk number `chunk` (counted from 0 in file order); `reuse`: a block for the chunk's time records (a
   * stored chunk's), moved to the parser that takes it; `here` false: a worker takes the chunk, when there
   * is one (this thread has other work meanwhile).
   */
  parse(bytes: Uint8Array, first: boolean, chunk: number, reuse?: ArrayBuffer, here?: boolean): { parser: number; result: Promise<ParsedChunk> };
  /** After the last chunk's result: the duplicate lines, `size` bytes of bits; chunk c's first line is line chunkOffsets[c] + 1. */
  duplicates(chunkOffsets: number[], size: number): Promise<Duplicates>;
  /** Stops the workers (after the last result, or when the file is refused half-way). */
  close(): Promise<void>;
}

/**
 * Parse workers by default: one, beside this thread, when there are two cores or more. Each worker is a V8
 * heap of its own (about 20 MB at its peak, and what its allocator keeps after it): a second one would add that to the peak
 * memory for no gain on two cores, where this thread parsing every third chunk keeps both busy.
 */
export function defaultParseThreads(): number {
  return availableParallelism() >= 2 ? 1 : 0;
}

// A worker's young generation: small, since a chunk's objects die with the chunk (V8's default lets it grow
// to tens of MB per thread, which is most of what a worker would add to the peak).
const WORKER_YOUNG_GENERATION_MB = 4;

let running = 0;
/** Parse workers started and not yet exited, in this process (tests check none is left behind). */
export const runningParseWorkers = () => running;

/**
 * `threads` workers, and this thread as the last parser (it parses a chunk as it is sent, while the workers
 * parse theirs). `keys`: this thread's key sort, whose folder the workers' key sorts spill into too.
 */
export function chunkParsers(fields: readonly string[], threads: number, keys: RecordSorter, keyLimits: { maxBytes?: number; maxItems?: number }): ChunkParsers {
  const here = new ChunkParser(fields);
  const hereKeys = new ChunkKeys(keys);
  const parseHere = (bytes: Uint8Array, first: boolean, chunk: number, reuse?: ArrayBuffer) => {
    hereKeys.chunk = chunk;
    return { parser: threads, result: Promise.resolve(here.parse(bytes, first, hereKeys, reuse)) };
  };
  if (threads <= 0) {
    const duplicates = async (chunkOffsets: number[], size: number) => {
      const duplicate = new Uint8Array(size);
      return { duplicate, count: markDuplicates(keys, duplicate, chunkOffsets) };
    };
    return { count: 1, parse: parseHere, duplicates, close: async () => {} };
  }
  const workers: Worker[] = [];
  const exited: Promise<unknown>[] = [];
  const waiting: { resolve: (answer: unknown) => void; reject: (err: Error) => void }[][] = [];
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    for (const queue of waiting) for (const w of queue.splice(0)) w.reject(failure);
  };
  const dir = keys.runDir();
  for (let i = 0; i < threads; i++) {
    const worker = startWorker({ fields, keys: { ...keyLimits, dir, prefix: `w${i}-` } });
    running++;
    workers.push(worker);
    waiting.push([]);
    worker.on('message', (answer: unknown) => waiting[i]!.shift()?.resolve(answer));
    worker.on('error', fail);
    worker.on('exit', (code) => {
      running--;
      if (waiting[i]!.length) fail(new Error(`a signals parse worker stopped (exit code ${code})`));
    });
    exited.push(once(worker, 'exit'));
  }
  /** Asks worker `i`; answers come in the order asked. */
  const ask = <T>(i: number, request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> => {
    const answer = new Promise<T>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting[i]!.push({ resolve: resolve as (answer: unknown) => void, reject });
    });
    // Awaited in order later; a failure rejects all of them at once, and only the first awaited counts.
    answer.catch(() => {});
    workers[i]!.postMessage(request, transfer);
    return answer;
  };
  let next = 0;
  return {
    count: threads + 1,
    parse(bytes, first, chunk, reuse, here = true) {
      // Two chunks to each worker for one here: this thread also sorts every chunk's records as they come back.
      const turn = next++ % (2 * threads + 1);
      const parser = !here ? turn % threads : turn === 2 * threads ? threads : turn % threads;
      if (parser === threads) return parseHere(bytes, first, chunk, reuse);
      const transfer = reuse ? [bytes.buffer as ArrayBuffer, reuse] : [bytes.buffer as ArrayBuffer];
      return { parser, result: ask<ParsedChunk>(parser, { kind: 'chunk', bytes, first, chunk, reuse }, transfer) };
    },
    async duplicates(chunkOffsets, size) {
      // Every parser's runs, merged by the first worker: this thread sorts no key.
      const runs = keys.takeRuns();
      for (let i = 1; i < threads; i++) runs.push(...(await ask<string[]>(i, { kind: 'takeRuns' })));
      return ask<Duplicates>(0, { kind: 'mark', runs, chunkOffsets, size });
    },
    async close() {
      for (const w of workers) void w.terminate();
      await Promise.all(exited);
    },
  };
}

/**
 * The worker runs the module beside this one, as this one runs: compiled JavaScript (.js, or .mjs in the
 * bench's bundle), or TypeScript in a source checkout, where the worker first registers tsx as bin/taser.js does.
 */
function startWorker(workerData: { fields: readonly string[]; keys: object }): Worker {
  const here = import.meta.url;
  const ext = extname(fileURLToPath(here));
  const url = new URL(`./signal-parse-worker${ext}`, here);
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
  if (ext !== '.ts') return new Worker(url, { workerData, resourceLimits });
  const boot = `const { workerData } = require('node:worker_threads');
(async () => { (await import(workerData.tsx)).register(); await import(workerData.url); })();`;
  return new Worker(boot, { eval: true, workerData: { ...workerData, tsx: tsxApi(here), url: url.href }, resourceLimits });
}

function tsxApi(from: string): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (resolve) return resolve('tsx/esm/api');
  // Test runners may not give import.meta.resolve: the package's ESM entry, by its exports map.
  const root = dirname(createRequire(from).resolve('tsx/package.json'));
  return pathToFileURL(join(root, 'dist', 'esm', 'api', 'index.mjs')).href;
}
