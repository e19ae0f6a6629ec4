// The taser command's manners: --version, usage errors exit 2, output piped into `head` ends quietly.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTaser } from '../support/cli.js';

const bin = fileURLToPath(new URL('../../bin/taser.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('taser command', () => {
  it('prints its version', async () => {
    const { code, stdout } = await runTaser(['--version'], {});
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it('exits 2 on a usage error: an unknown option or command', async () => {
    const option = await runTaser(['manifest', '--no-such-option'], {});
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--no-such-option'/);
    const command = await runTaser(['frobnicate'], {});
    expect(command.code).toBe(2);
  }, 60_000);

  it('ends quietly when the reader of its output goes away (| head -1)', () => {
    // Thousands of alerts, so taser is still writing when head has gone: the write fails with EPIPE.
    const dir = mkdtempSync(join(tmpdir(), 'taser-epipe-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - id: each\n    parts: [{ match: { type: login }, count: 1 }]\n    window: 1m\n    groupBy: [username]\n');
      const lines = Array.from({ length: 20_000 }, (_, i) =>
        JSON.stringify({ id: `s${i}`, source: 'test', type: 'login', occurredAt: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString(), artifacts: { username: `user${i}` } }),
      );
      writeFileSync(join(dir, 'signals.jsonl'), `${lines.join('\n')}\n`);
      const res = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" simulate --rules rules.yaml --signals signals.jsonl | head -1`], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(res.stdout.split('\n').filter(Boolean)).toHaveLength(1);
      expect(res.stderr).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
