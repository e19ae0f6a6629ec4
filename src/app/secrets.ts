// Secrets come only from the environment: NAME, or NAME_FILE holding a path (Docker / Kubernetes secrets).
import { readFileSync } from 'node:fs';

export type Env = Record<string, string | undefined>;

export function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`${name}_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
}
