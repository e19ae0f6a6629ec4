// A parse worker of the simulator (signal-parse-pool.ts): validates and encodes the chunks it is sent, in
// order, and posts each chunk's time records back as transferred bytes, with the chunk's own block to be read
// into again. The chunks' (source, id) key records stay here, in a key sort of the worker's own that spills
// into the simulator's folder: at the end its runs are handed over, or (the first worker) all the parsers'
// runs are merged here and the duplicate lines posted back, so the simulator's thread never sorts a key.
import { parentPort, workerData } from 'node:worker_threads';
import { RecordSorter, type RecordSortLimits } from './record-sort.js';
import { ChunkParser } from './signal-parse.js';
import { ChunkKeys, markDuplicates } from './signal-record.js';
import type { WorkerRequest } from './signal-parse-pool.js';

const data = workerData as { fields: string[]; keys: RecordSortLimits };
const parser = new ChunkParser(data.fields);
const sorter = new RecordSorter(data.keys);
const keys = new ChunkKeys(sorter);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
parentPort!.on('message', (request: WorkerRequest) => {
  if (request.kind === 'chunk') {
    keys.chunk = request.chunk;
    const chunk = parser.parse(request.bytes, request.first, keys, request.reuse);
    parentPort!.postMessage(chunk, [chunk.time.buffer as ArrayBuffer, chunk.input.buffer as ArrayBuffer]);
  } else if (request.kind === 'takeRuns') {
    parentPort!.postMessage(sorter.takeRuns());
  } else {
    // This worker's runs and the others', merged by a sort that holds no arena: the key arena is let go first
    // (a full collection of this small heap gives it back: the simulator's thread still holds the engine's tables).
    const runs = [...sorter.takeRuns(), ...request.runs];
    gc();
    const merge = new RecordSorter(data.keys);
    merge.adoptRuns(runs);
    const duplicate = new Uint8Array(request.size);
    const count = markDuplicates(merge, duplicate, request.chunkOffsets);
    parentPort!.postMessage({ duplicate, count }, [duplicate.buffer]);
  }
});
