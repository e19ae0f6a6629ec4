// Recently stepped signals, by key, so the signals an alert write needs (its held ones) rarely need a read; the
// rest are read from the store by _id. Bounded: the oldest are forgotten first.
import type { Signal } from '../signals/signal.js';
import type { SignalStore } from '../signals/store.js';
import { decodeSignal } from '../signals/stored-form.js';

const RECENT_LIMIT = 100_000;

export class RecentSignals {
  private readonly recent = new Map<string, Signal>();

  constructor(private readonly store: SignalStore, private readonly limit = RECENT_LIMIT) {}

  remember(key: string, s: Signal): void {
    this.recent.set(key, s);
    if (this.recent.size > this.limit) this.recent.delete(this.recent.keys().next().value!);
  }

  /** The signals of these keys that are stored, in the keys' order: from memory, else in one read by _id. */
  async load(keys: string[]): Promise<Signal[]> {
    const missing = keys.filter((k) => !this.recent.has(k));
    const stored = missing.length ? await this.store.collection.find({ _id: { $in: missing } }).toArray() : [];
    const found = new Map(stored.map((d) => [d._id, decodeSignal(d)]));
    return keys.map((k) => this.recent.get(k) ?? found.get(k)).filter((s): s is Signal => s !== undefined);
  }
}
