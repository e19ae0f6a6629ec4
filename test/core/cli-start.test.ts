// `taser start` on a fresh machine: clear messages and exit codes, never a stack trace or a hang.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const taserBin = fileURLToPath(new URL('../../bin/taser.js', import.meta.url));

export function runTaser(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(SLACK_|MONGODB_URI|TASER_|PORT$|LOG_LEVEL)/.test(k)),
  ) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [taserBin, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`taser ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('taser start', () => {
  it('says exactly which Slack settings are missing', async () => {
    const { code, stderr } = await runTaser(['start'], {});
    expect(code).toBe(78);
    expect(stderr).toContain('SLACK_BOT_TOKEN: missing');
    expect(stderr).toContain('SLACK_APP_TOKEN: missing');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses HTTP mode without a signing secret', async () => {
    const { code, stderr } = await runTaser(['start', '--http'], { SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(code).toBe(78);
    expect(stderr).toContain('SLACK_SIGNING_SECRET: missing');
    expect(stderr).not.toContain('SLACK_APP_TOKEN');
  });

  it('reports an unreachable MongoDB clearly and exits', async () => {
    const { code, stderr } = await runTaser(['start', '--http'], {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret',
      MONGODB_URI: 'mongodb://127.0.0.1:1/taser?serverSelectionTimeoutMS=500',
    });
    expect(code).toBe(69);
    expect(stderr).toMatch(/cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\/taser/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints usage with --help', async () => {
    const { code, stdout } = await runTaser(['--help'], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: taser/);
    expect(stdout).toMatch(/start/);
    expect(stdout).toMatch(/plugin/);
  });
});
