// Reading a signals file in chunks, parsed by worker threads: the same result as parsing it in this thread,
// wherever the chunks cut the lines, the right line numbers in errors, and nothing left behind.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRules } from './rule.js';
import { runningParseWorkers } from './signal-parse-pool.js';
import { SignalFileError, simulate, type SimulateOptions } from './simulator.js';
import { TempDir, at, prng, shuffle, sig } from '../../test/correlation/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

const rules = parseRules([
  { id: 'pair', parts: [{ match: { type: 'login' }, count: 2 }], window: '30m', groupBy: ['username'] },
  { id: 'any3', parts: [{ match: {}, count: 3 }], window: '1h', groupBy: ['src_ip'], ordered: true },
]);

/** The outcome of simulating `text`: the result, or the problems it was refused with. */
async function outcome(text: string, options: SimulateOptions): Promise<unknown> {
  try {
    return await simulate(rules, dir.file('signals.jsonl', text), options);
  } catch (err) {
    if (err instanceof SignalFileError) return { problems: err.problems.map((p) => p.replace(/^.*?line /, 'line ')) };
    throw err;
  }
}

/** Every way of reading: this thread in one block, and workers with blocks that cut lines anywhere. */
const WAYS: SimulateOptions[] = [
  { parseThreads: 1, readBlockSize: 7 },
  { parseThreads: 2, readBlockSize: 61 },
  { parseThreads: 0, readBlockSize: 13 },
];

async function expectSameEveryWay(text: string): Promise<unknown> {
  const reference = await outcome(text, { parseThreads: 0 });
  for (const way of WAYS) expect(await outcome(text, way), JSON.stringify(way)).toEqual(reference);
  expect(runningParseWorkers()).toBe(0);
  return reference;
}

const random = prng(11);
const signals = Array.from({ length: 120 }, (_, i) =>
  sig(`s${i % 100}`, random() < 0.6 ? 'login' : 'vpn', at(`09:${String(Math.floor(random() * 60)).padStart(2, '0')}`), { username: `Ü${Math.floor(random() * 4)}`, src_ip: `10.0.0.${Math.floor(random() * 3)}` }, { source: random() < 0.5 ? 'okta' : 'duo' }),
);
const lines = shuffle(signals, random).map((s) => JSON.stringify(s));

// Each worker loads the TypeScript sources through tsx here: seconds on a loaded machine.
describe('signals parsed by worker threads', { timeout: 120_000 }, () => {
  it('give the same alerts, stats and duplicates as in this thread, across chunk boundaries and line ends', async () => {
    // \n, \r\n, a lone \r and blank lines between lines, and a byte-order mark: each line keeps its number.
    const ends = ['\n', '\r\n', '\r', '\n\n', ' \n'];
    const text = `\ufeff${lines.map((line, i) => line + ends[i % ends.length]).join('')}`;
    const result = (await expectSameEveryWay(text)) as { alerts: unknown[]; stats: { lines: number; duplicates: number } };
    expect(result.alerts.length).toBeGreaterThan(3);
    expect(result.stats.lines).toBe(120);
    expect(result.stats.duplicates).toBeGreaterThan(0);
    // A last line without a line end is a line too.
    await expectSameEveryWay(lines.slice(0, 30).join('\n'));
  });

  it('name the right line when a line in the middle is bad, with every way of reading', async () => {
    const text = [...lines.slice(0, 60), '{"id": "broken",', ...lines.slice(60, 90), '', JSON.stringify({ ...sig('x', 'login', 'yesterday'), source: '' }), ...lines.slice(90)].join('\n');
    expect(await expectSameEveryWay(text)).toEqual({
      problems: [expect.stringMatching(/^line 61: not JSON/), expect.stringMatching(/^line 93: source: /), expect.stringMatching(/^line 93: occurredAt: /)],
    });
  });

  it('stop at 50 problems, as in this thread', async () => {
    const text = Array.from({ length: 120 }, (_, i) => (i % 2 ? lines[i] : `nope ${i}`)).join('\n');
    const result = (await expectSameEveryWay(text)) as { problems: string[] };
    expect(result.problems).toHaveLength(50);
    expect(result.problems.at(-1)).toMatch(/^line 99: not JSON/);
  });

  it('report an empty file, or one of blank lines, as no alerts', async () => {
    for (const text of ['', '\n\r\n  \n']) expect(await expectSameEveryWay(text)).toMatchObject({ alerts: [], stats: { lines: 0, signals: 0 } });
  });

  it('leave no worker and no temporary file behind when a line past the first spilled runs is bad', async () => {
    const previous = process.env.TMPDIR;
    const temp = mkdtempSync(join(tmpdir(), 'taser-parse-test-'));
    process.env.TMPDIR = temp;
    try {
      const text = [...lines, '[1]'].join('\n');
      await expect(simulate(rules, dir.file('bad.jsonl', text), { parseThreads: 2, readBlockSize: 300, chunkSize: 5 })).rejects.toBeInstanceOf(SignalFileError);
      expect(runningParseWorkers()).toBe(0);
      // (tsx, which runs the workers from the TypeScript sources here, keeps its cache there.)
      expect(readdirSync(temp).filter((name) => !name.startsWith('tsx-'))).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(temp, { recursive: true, force: true });
    }
  });
});

// A file in event-time order is replayed while it is read (simulator.ts); a duplicate (source, id), known only
// at the end, or a line out of order, sends it back through the time sort. A shuffled copy of the same lines
// always goes through the sort: each must give what it gives.
describe('a file in event-time order', { timeout: 120_000 }, () => {
  const inOrder = Array.from({ length: 150 }, (_, i) =>
    sig(`o${i}`, i % 3 ? 'login' : 'vpn', new Date(Date.parse('2024-05-01T09:00:00Z') + i * 37_000).toISOString(), { username: `u${i % 4}`, src_ip: `10.0.0.${i % 3}` }, { source: i % 2 ? 'okta' : 'duo' }),
  );
  const text = (items: unknown[]) => `${items.map((s) => JSON.stringify(s)).join('\n')}\n`;
  const sorted = async (items: unknown[]) => outcome(text(shuffle(items, prng(5))), { parseThreads: 0 });

  it('gives what the time sort gives, without a duplicate, with one at the end, and with a late line', async () => {
    const early = { ...inOrder[3]!, id: 'late', occurredAt: new Date(Date.parse(inOrder[3]!.occurredAt) + 1000).toISOString() };
    const late = [...inOrder.slice(0, 140), early, ...inOrder.slice(140)];
    // The duplicate: the last line again, so the file stays in order; the late line: an early one near the end.
    const cases = { plain: inOrder, duplicate: [...inOrder, inOrder[149]], late };
    for (const [name, items] of Object.entries(cases)) {
      const reference = (await sorted(items)) as { alerts: unknown[]; stats: { duplicates: number } };
      expect(reference.alerts.length, name).toBeGreaterThan(3);
      expect(reference.stats.duplicates, name).toBe(name === 'duplicate' ? 1 : 0);
      for (const way of [{ parseThreads: 0 }, ...WAYS, { parseThreads: 1, chunkSize: 7 }]) expect(await outcome(text(items), way), `${name} ${JSON.stringify(way)}`).toEqual(reference);
    }
    expect(runningParseWorkers()).toBe(0);
  });
});
