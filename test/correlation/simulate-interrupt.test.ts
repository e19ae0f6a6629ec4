// `taser simulate` interrupted with Ctrl-C half-way through a large file: it exits at once, as interrupted
// (130), and leaves none of its sorts' temporary folders behind (its parse workers stop with it).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/taser.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'taser-interrupt-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('taser simulate, interrupted', { timeout: 180_000 }, () => {
  it('removes its temporary folders and exits with 130', async () => {
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify([{ id: 'pair', parts: [{ match: { type: 'login' }, count: 2 }], window: '1m', groupBy: ['username'] }]));
    // Large enough that the sorts spill (their folders appear) well before the end, and parse workers start.
    const signals = join(dir, 'signals.jsonl');
    const start = Date.parse('2024-05-01T00:00:00Z');
    const lines = Array.from({ length: 400_000 }, (_, i) => JSON.stringify({ id: `s${i}`, source: 'okta', type: 'login', occurredAt: new Date(start + (i % 7919) * 1000).toISOString(), artifacts: { username: `user${i % 5000}` } }));
    writeFileSync(signals, `${lines.join('\n')}\n`);
    const temp = mkdtempSync(join(dir, 'tmp-'));
    const child = spawn(process.execPath, [bin, 'simulate', '--rules', rules, '--signals', signals, '--json'], { env: { ...process.env, TMPDIR: temp }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const sortDirs = () => readdirSync(temp).filter((name) => name.startsWith('taser-sort-'));
    let ended = false;
    void exited.then(() => (ended = true));
    while (!ended && sortDirs().length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended, `taser simulate ended before it spilled: ${stderr}`).toBe(false);
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(sortDirs()).toEqual([]);
  });
});
