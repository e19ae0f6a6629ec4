// Long `taser simulate` and `taser preview` runs show progress on stderr when it is a terminal, and only then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terminalProgress } from '../../src/app/terminal-progress.js';

const bin = fileURLToPath(new URL('../../bin/taser.js', import.meta.url));

describe('terminalProgress', () => {
  it('is nothing when the stream is not a terminal', () => {
    expect(terminalProgress('x', { isTTY: false, write: () => true })).toBeUndefined();
    expect(terminalProgress('x', { write: () => true })).toBeUndefined();
  });

  it('redraws one line at most every interval, and clears it when done', () => {
    const written: string[] = [];
    let clock = 0;
    const p = terminalProgress('taser simulate', { isTTY: true, write: (t: string) => written.push(t) }, () => clock, 200)!;
    p.update('reading lines', 16_384);
    clock = 100;
    p.update('reading lines', 32_768); // too soon: not drawn
    clock = 150;
    p.update('replaying signals', 10_000, 40_000); // a new phase: drawn at once
    clock = 250;
    p.update('replaying signals', 15_000, 40_000); // too soon
    clock = 400;
    p.update('replaying signals', 20_000, 40_000);
    p.done();
    expect(written).toEqual(['\r\x1b[Ktaser simulate: reading lines 16,384', '\r\x1b[Ktaser simulate: replaying signals 10,000 of 40,000 (25%)', '\r\x1b[Ktaser simulate: replaying signals 20,000 of 40,000 (50%)', '\r\x1b[K']);
  });
});

describe('taser simulate and preview on a terminal', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'taser-progress-'));
    writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - id: burst\n    parts: [{ match: { type: login }, count: 50 }]\n    window: 1m\n    groupBy: [username]\n');
    const lines = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ id: `s${i}`, source: 'test', type: 'login', occurredAt: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString(), artifacts: { username: `user${i % 7}` } }),
    );
    writeFileSync(join(dir, 'signals.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs taser with stderr on a pseudo-terminal (script(1)) and stdout into a file; returns both. */
  function onTerminal(command: string): { terminal: string; stdout: string } {
    const res = spawnSync('script', ['-qec', `"${process.execPath}" "${bin}" ${command} > out.txt`, '/dev/null'], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    expect(res.status).toBe(0);
    return { terminal: res.stdout, stdout: readFileSync(join(dir, 'out.txt'), 'utf8') };
  }

  it.each(['simulate', 'preview'])('%s: progress on a terminal\'s stderr, none in its output', (command) => {
    const { terminal, stdout } = onTerminal(`${command} --rules rules.yaml --signals signals.jsonl`);
    // The file is in event-time order: it is replayed as it is read (a file out of order is read, then replayed).
    expect(terminal).toMatch(new RegExp(`taser ${command}: reading and replaying lines [\\d,]+`));
    // The line is cleared at the end, and the results are untouched by it.
    expect(terminal.endsWith('\r\x1b[K')).toBe(true);
    expect(stdout).not.toMatch(/\r|\x1b|replaying/);
    expect(stdout).toMatch(/alert/);
  }, 90_000);

  it('piped: no progress at all on stderr', () => {
    const res = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" simulate --rules rules.yaml --signals signals.jsonl | cat`], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    expect(res.status).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/20000 lines, 20000 signals replayed/);
  }, 90_000);
});
