// The Hall check of the in-memory engine (memory-engine.ts): can a group's free signals fill its rule's parts?
import { FREE_HEAD, I, type GroupTable } from './memory-group.js';
import { NONE } from './signal-pool.js';

/** Can the slot's free signals (all in the window) be assigned to the parts? As group-step.ts admits. */
export function admits(table: GroupTable, slot: number): boolean {
  const { rule, pool } = table;
  const parts = rule.parts;
  const n = parts.length;
  // One part: every free signal matches it, and the caller saw there are enough of them.
  if (n === 1) return true;
  if (rule.ordered) {
    let part = 0;
    let need = parts[0]!.count;
    for (let node = table.i[slot * I + FREE_HEAD]!; node !== NONE; node = pool.next(node)) {
      if (pool.mask(node) & (1 << part)) {
        if (--need === 0) {
          if (++part === n) return true;
          need = parts[part]!.count;
        }
      }
    }
    return false;
  }
  // Hall's condition for a b-matching: every set S of parts is matched by at least sum(count, S) signals.
  const full = (1 << n) - 1;
  const demand = rule.demand;
  if (table.stride) {
    const counts = table.counts;
    const base = slot * table.stride;
    // Enough signals matching each part alone (the usual case: parts of distinct types) meets every subset's demand.
    let alone = 0;
    while (alone < n && counts[base + (1 << alone)]! >= parts[alone]!.count) alone++;
    if (alone === n) return true;
    for (let subset = 1; subset <= full; subset++) {
      let available = 0;
      for (let m = 1; m <= full; m++) if (m & subset) available += counts[base + m]!;
      if (available < demand[subset]!) return false;
    }
    return true;
  }
  const tally = table.tally[slot]!;
  for (let subset = 1; subset <= full; subset++) {
    let available = 0;
    for (let i = 0; i < tally.length; i += 2) if (tally[i]! & subset) available += tally[i + 1]!;
    if (available < demand[subset]!) return false;
  }
  return true;
}
