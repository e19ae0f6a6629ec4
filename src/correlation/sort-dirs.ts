// The temporary folders of the simulator's sorts (record-sort.ts, external-sort.ts): made and removed here,
// so a process that exits half-way (an interrupted `taser simulate`) removes those still there as it exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

export function makeSortDir(): string {
  if (live.size === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(join(tmpdir(), 'taser-sort-'));
  live.add(dir);
  return dir;
}

export function removeSortDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
  if (live.size === 0) process.removeListener('exit', removeAll);
}
