// A parse worker of the simulator (signal-parse-pool.ts): validates and encodes the chunks it is sent, in
// order, and posts each chunk's records back as transferred bytes, with the chunk's own block to be read into again.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkParser, type SpareBlocks } from './signal-parse.js';

const parser = new ChunkParser((workerData as { fields: string[] }).fields);
parentPort!.on('message', ({ bytes, first, reuse }: { bytes: Uint8Array; first: boolean; reuse?: SpareBlocks }) => {
  const chunk = parser.parse(bytes, first, reuse);
  parentPort!.postMessage(chunk, [chunk.time.buffer as ArrayBuffer, chunk.keys.buffer as ArrayBuffer, chunk.input.buffer as ArrayBuffer]);
});
