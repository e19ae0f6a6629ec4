// Runs the `taser` command as a newcomer would: a child process, the environment given, nothing inherited
// that configures taser.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const taserBin = fileURLToPath(new URL('../../bin/taser.js', import.meta.url));

/** Runs the real `taser` command with a clean environment plus `env`. */
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

export interface TaserProcess {
  /** Resolves with the first log line (parsed JSON) that matches. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  output(): string;
}

/** Starts `taser` in the background for tests that talk to the running bot (`bin`: another build's bin/taser.js). */
export function startTaserProcess(args: string[], env: Record<string, string>, options: { bin?: string; cwd?: string } = {}): TaserProcess {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(SLACK_|MONGODB_URI|TASER_|PORT$|LOG_LEVEL)/.test(k)),
  ) as Record<string, string>;
  const child = spawn(process.execPath, [options.bin ?? taserBin, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
  let out = '';
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    async waitForLog(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(predicate);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`taser exited with ${child.exitCode}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms:\n${out}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
