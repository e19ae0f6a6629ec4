// The simulator's temporary files: a file with a bad line, found after runs have spilled, leaves none behind.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimulation, SignalFileError, writeSimulationJson, type SimulateOptions } from './simulator.js';
import { parseRules } from './rule.js';
import { TempDir, at, sig, simulateSignals } from '../../test/correlation/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

/** Runs `fn` with os.tmpdir() at a folder of its own (so other processes' files do not count); returns the folder's entries after. */
async function inTemp(fn: () => Promise<unknown>): Promise<string[]> {
  const previous = process.env.TMPDIR;
  const temp = mkdtempSync(join(tmpdir(), 'taser-spill-test-'));
  process.env.TMPDIR = temp;
  try {
    await fn();
    return readdirSync(temp);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(temp, { recursive: true, force: true });
  }
}

describe('simulate: spilled open alerts', () => {
  it('writes the same JSON, byte for byte, when every open alert spills its ids as they grow', async () => {
    // Alerts kept alive all along (a 1h keep-alive, a signal every 10 minutes) in three groups, and short ones.
    const rules = parseRules([
      { id: 'long', parts: [{ match: { type: 'login' }, count: 2 }], window: '1h', groupBy: ['username'] },
      { id: 'short', parts: [{ match: { type: 'login' }, count: 3 }], window: '5m', keepAlive: '1m', groupBy: ['username'] },
    ]);
    const signals = Array.from({ length: 300 }, (_, i) => sig(`s${i}`, 'login', new Date(Date.parse('2024-05-01T00:00:00Z') + i * 200_000).toISOString(), { username: `u${i % 3}` }));
    const file = dir.signals(signals);
    const json = async (options: SimulateOptions) => {
      let out = '';
      await writeSimulationJson(await runSimulation(rules, file, options), (chunk) => void (out += chunk));
      return out;
    };
    const inMemory = await json({});
    expect(JSON.parse(inMemory).alerts[0].signals.length).toBeGreaterThan(50);
    let spilled = '';
    expect(await inTemp(async () => (spilled = await json({ maxHeldIdBytes: 100 })))).toEqual([]);
    expect(spilled).toBe(inMemory);
  });
});

describe('simulate: spilled runs', () => {
  it('are removed when a line past the first runs is bad', async () => {
    const signals: Record<string, unknown>[] = Array.from({ length: 50 }, (_, i) => ({ ...sig(`s${i}`, 'login', at('09:00')) }));
    signals.push({ id: 'bad', source: 'test', type: 'login', occurredAt: 'yesterday' });
    // os.tmpdir() follows TMPDIR: a folder of this test's own, so other processes' files do not count.
    const previous = process.env.TMPDIR;
    const temp = mkdtempSync(join(tmpdir(), 'taser-spill-test-'));
    process.env.TMPDIR = temp;
    try {
      await expect(simulateSignals(dir, [{ id: 'r', parts: [{ match: { type: 'login' }, count: 2 }], window: '1h' }], signals, { chunkSize: 4 })).rejects.toBeInstanceOf(SignalFileError);
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
