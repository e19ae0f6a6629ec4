// The simulator's open alerts' ids (held-ids.ts): kept in memory under the budget, spilled in parts past it,
// read back in order, and their spill file removed after use or when the process exits half-way.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HeldIds } from './held-ids.js';

const temp = mkdtempSync(join(tmpdir(), 'taser-held-ids-test-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('HeldIds', () => {
  it('gives an alert that never spilled its ids back inline', () => {
    const held = new HeldIds();
    held.opened(0, 3, ['a', 'b']);
    held.appended(0, 3, 'c"d');
    held.appended(0, 3, 'é\n𝄞');
    expect(held.closed(0, 3)).toEqual({ count: 4, json: `"a","b",${JSON.stringify('c"d')},${JSON.stringify('é\n𝄞')}`, part: -1 });
    expect(held.spills).toBe(0);
    held.discard();
  });

  // A small spill file is read back whole at the output; a large one part by part.
  for (const [way, readWhole] of [['read back whole', undefined], ['read part by part', 0]] as const) {
    it(`spills past the budget and reads every part back in order, for alerts of several rules and slots (${way})`, () => {
      const held = new HeldIds(100, readWhole);
      const want = new Map<string, string[]>();
      const open = (r: number, slot: number, ids: string[]) => {
        held.opened(r, slot, ids);
        want.set(`${r}/${slot}`, [...ids]);
      };
      open(0, 1, ['x0', 'é"\\']);
      open(1, 1, ['y0', 'y1']);
      for (let i = 1; i < 40; i++) {
        held.appended(0, 1, `x${i}`);
        want.get('0/1')!.push(`x${i}`);
        if (i % 3 === 0) {
          held.appended(1, 1, `y${i}`);
          want.get('1/1')!.push(`y${i}`);
        }
      }
      // Opened after the others spilled: closes with part of its ids spilled, part in memory.
      open(0, 2, ['z0']);
      expect(held.spills).toBeGreaterThan(5);
      const read = (r: number, slot: number) => {
        const closed = held.closed(r, slot);
        const json = closed.part === -1 ? closed.json : held.read(closed.part);
        expect(closed.count).toBe(want.get(`${r}/${slot}`)!.length);
        return JSON.parse(`[${json}]`) as string[];
      };
      expect(read(0, 1)).toEqual(want.get('0/1'));
      expect(read(1, 1)).toEqual(want.get('1/1'));
      expect(read(0, 2)).toEqual(want.get('0/2'));
      held.discard();
    });

    it(`reads back parts longer than its read window (4 KiB), between short ones (${way})`, () => {
      const held = new HeldIds(16_384, readWhole);
      const ids = Array.from({ length: 3000 }, (_, i) => `id-${String(i).padStart(6, '0')}`);
      held.opened(0, 0, ['a']);
      held.opened(1, 0, ids.slice(0, 1));
      for (const id of ids.slice(1)) {
        held.appended(1, 0, id);
        if (id.endsWith('7')) held.appended(0, 0, id);
      }
      expect(held.spills).toBeGreaterThan(2);
      const long = held.closed(1, 0);
      const short = held.closed(0, 0);
      expect(JSON.parse(`[${held.read(long.part)}]`)).toEqual(ids);
      expect(JSON.parse(`[${held.read(short.part)}]`)).toEqual(['a', ...ids.filter((id) => id.endsWith('7'))]);
      held.discard();
    });
  }

  it('leaves no spill file when the process exits before the output', () => {
    const module = fileURLToPath(new URL('./held-ids.ts', import.meta.url));
    const script = join(temp, 'exit.mts');
    writeFileSync(script, `import { readdirSync } from 'node:fs';
import { HeldIds } from ${JSON.stringify(module)};
const held = new HeldIds(10);
held.opened(0, 0, ['a', 'b', 'c']);
held.appended(0, 0, 'd');
// It spilled: its file is there.
if (held.spills === 0 || !readdirSync(process.env.TMPDIR).some((n) => n.startsWith('taser-sort-'))) process.exit(3);
process.exit(130);
`);
    const spillTemp = mkdtempSync(join(temp, 'tmp-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, TMPDIR: spillTemp }, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(130);
    expect(readdirSync(spillTemp).filter((name) => name.startsWith('taser-sort-'))).toEqual([]);
  });
});
