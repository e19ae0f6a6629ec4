// The simulator's temporary files: a file with a bad line, found after runs have spilled, leaves none behind.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SignalFileError } from './simulator.js';
import { TempDir, at, sig, simulateSignals } from '../../test/correlation/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

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
