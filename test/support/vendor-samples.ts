// The shared vendor samples (shared/fixtures/vendor-samples, beside the project) and what expected.json says
// each one must map to. Vendor tests extend ExpectedSample with their own `extra` fields.
import { readFileSync } from 'node:fs';

const SAMPLES = new URL('../../../shared/fixtures/vendor-samples/', import.meta.url);

/** A sample's text; `file` is relative to shared/fixtures/vendor-samples/ (e.g. "duo/x.jsonl"). */
export function readSample(file: string): string {
  return readFileSync(new URL(file, SAMPLES), 'utf8');
}

export function readSampleJson<T = unknown>(file: string): T {
  return JSON.parse(readSample(file)) as T;
}

const SAMPLES_2 = new URL('../../../shared/fixtures/vendor-samples-2/', import.meta.url);

/** An event of the second set (shared/fixtures/vendor-samples-2/, no expected fields: each test states its own). */
export function readSample2Json<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, SAMPLES_2), 'utf8')) as T;
}

/** One expected.json row: the fields every vendor has, and those only some have (optional). */
export interface ExpectedSample {
  vendor: string;
  file: string;
  /** Where in the file the event is: "(whole file)", "line N", or a path such as "data.events[0]". */
  locator: string;
  id: string;
  time: string | null;
  raw_time?: string;
  type: string;
  severity: string | number | null;
  username?: string;
  hostname?: string;
  src_ip?: string;
  src_port?: number;
  dst_ip?: string;
  dst_port?: number;
  proto?: string;
  geo?: { city: string; country: string } | null;
}

/** Every expected.json row, in file order. */
export function expectedSamples<T extends ExpectedSample = ExpectedSample>(): T[] {
  return readSampleJson<T[]>('expected.json');
}

/** The expected.json rows of one vendor, in file order. */
export function expectedFor<T extends ExpectedSample>(vendor: string): T[] {
  return expectedSamples<T>().filter((e) => e.vendor === vendor);
}

/** The raw event a row points at: the whole JSON file, or line N (1-based, blank lines skipped) of a JSONL file. */
export function sampleEvent(e: ExpectedSample): unknown {
  const text = readSample(e.file);
  if (e.locator === '(whole file)') return JSON.parse(text);
  const line = /^line (\d+)$/.exec(e.locator);
  if (!line) throw new Error(`unknown locator ${e.locator}`);
  return JSON.parse(text.split('\n').filter((l) => l.trim())[Number(line[1]) - 1]!);
}
