// A parse worker of the simulator (signal-parse-pool.ts): validates and encodes the chunks it is sent, in
// order, and posts each chunk's records back as transferred bytes, so the simulator's thread never parses JSON.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkParser } from './signal-parse.js';

const parser = new ChunkParser((workerData as { fields: string[] }).fields);
parentPort!.on('message', ({ bytes, first }: { bytes: Uint8Array; first: boolean }) => {
  const chunk = parser.parse(bytes, first);
  parentPort!.postMessage(chunk, [chunk.time.buffer as ArrayBuffer, chunk.keys.buffer as ArrayBuffer]);
});
