// Test helpers for the correlation engine and simulator: signal builders, temporary rule and signal files,
// and a seeded PRNG for shuffles and random scenarios.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRules, type Rule } from '../../src/correlation/rule.js';
import { simulate, type SimulateOptions, type SimulationResult } from '../../src/correlation/simulator.js';
import type { Signal } from '../../src/signals/signal.js';
export { prng } from '../support/prng.js';

/** A signal with defaults: source "test", artifacts {}. */
export function sig(id: string, type: string, occurredAt: string, artifacts: Signal['artifacts'] = {}, extra: Partial<Signal> = {}): Signal {
  return { id, source: 'test', type, occurredAt, artifacts, ...extra };
}

/** "2024-05-01T" + hh:mm[:ss] + "Z", for readable times in the worked examples. */
export const at = (hhmm: string, day = '2024-05-01') => `${day}T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}Z`;

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'taser-corr-test-'));
  private n = 0;

  file(name: string, text: string): string {
    const path = join(this.path, `${this.n++}-${name}`);
    writeFileSync(path, text);
    return path;
  }

  signals(signals: (Signal | Record<string, unknown>)[]): string {
    return this.file('signals.jsonl', signals.map((s) => JSON.stringify(s)).join('\n') + '\n');
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Runs the simulator on rule inputs (as written in a rules file) and signals (as lines, in this order). */
export async function simulateSignals(dir: TempDir, rules: unknown[], signals: (Signal | Record<string, unknown>)[], options: SimulateOptions = {}): Promise<SimulationResult> {
  return simulate(parseRules(rules), dir.signals(signals), options);
}

export function simulateRules(dir: TempDir, rules: Rule[], signals: Signal[], options: SimulateOptions = {}): Promise<SimulationResult> {
  return simulate(rules, dir.signals(signals), options);
}


export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;
