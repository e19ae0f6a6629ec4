// The simulator's replay: signals in event-time order through the engine, from an empty state; finished
// alerts go to a sort by output order (finished-sort.ts), open alerts' ids to held-ids.ts. Fed either from the
// time sort once the file is read, or (a file in event-time order) chunk by chunk while the file is still
// being read (simulator.ts), the same signals in the same order either way.
import { CorrelationEngine, type EngineEvent } from './memory-engine.js';
import type { CompiledRule } from './rule.js';
import { FinishedSort } from './finished-sort.js';
import { HeldIds } from './held-ids.js';
import type { SignalCodec } from './signal-record.js';

export interface SimulationStats {
  /** Non-blank lines read. */
  lines: number;
  /** Signals replayed (lines minus duplicates). */
  signals: number;
  /** Lines whose (source, id) had been seen on an earlier line: ignored. */
  duplicates: number;
  alerts: number;
  /** Signals appended to an already open alert. */
  appended: number;
  rules: Record<string, { alerts: number; signals: number }>;
}

export const emptyStats = (compiled: readonly CompiledRule[]): SimulationStats => {
  const stats: SimulationStats = { lines: 0, signals: 0, duplicates: 0, alerts: 0, appended: 0, rules: {} };
  for (const r of compiled) stats.rules[r.rule.id] = { alerts: 0, signals: 0 };
  return stats;
};

/**
 * An event time in UTC ("Z"), whatever offset the signal was written with: milliseconds as toISOString
 * gives them, plus the microsecond digits when there are any, so firstSeen/lastSeen are the exact min/max
 * event times of the held signals (SEMANTICS.md) and not rounded down to the millisecond.
 */
export function formatEventTime(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  // Two per alert, hundreds of thousands of alerts: the date part is made once a day of event time, the
  // time of day by arithmetic (a Date and its toISOString cost more).
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    datePrefix = iso.slice(0, iso.indexOf('T') + 1);
    cachedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  const time = `${datePrefix}${pad2(h)}:${pad2(m)}:${pad2(sec)}.${pad3(rest - sec * 1000)}`;
  return micros === 0 ? `${time}Z` : `${time}${pad3(micros)}Z`;
}

const DAY_MS = 86_400_000;
let cachedDay = NaN;
let datePrefix = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

const EVICT_EVERY = 50_000;
// Finished alerts held before their sort spills: they wait beside the engine's tables while it replays.
const FINISHED_SORT_BYTES = 2 << 20;
// Open alerts' ids held before they spill (held-ids.ts): at 2 MiB the output read the spilled parts back with
// about 1 s of preads at 1M lines, at 4 MiB a quarter of that, for about 4 MB more peak.
const HELD_ID_BYTES = 4 << 20;

export interface ReplayLimits {
  chunkSize?: number;
  maxSortBytes?: number;
  maxHeldIdBytes?: number;
}

/** One replay: `signal` for each signal in (event time, line) order, then `finish`; or `discard` to drop it. */
export class Replay {
  readonly stats: SimulationStats;
  readonly finished: FinishedSort;
  readonly held: HeldIds;
  private engine: CorrelationEngine | undefined;
  private sinceEvict = 0;

  constructor(
    compiled: readonly CompiledRule[],
    private readonly codec: SignalCodec,
    limits: ReplayLimits,
  ) {
    const stats = (this.stats = emptyStats(compiled));
    // Finished alerts go to a third sort: the output is ordered by firstSeen, then rule id (then group and
    // first signal, so it is deterministic).
    const finished = (this.finished = new FinishedSort(
      compiled.map((r) => r.rule.id),
      { maxItems: limits.chunkSize, maxBytes: limits.maxSortBytes ?? FINISHED_SORT_BYTES },
    ));
    // Each rule's JSON text before its group, and its group's field names as JSON keys.
    const ruleJson = compiled.map((r) => JSON.stringify(r.rule.id));
    const groupKeys = compiled.map((r) => plainKeys(r.groupBy));
    // The engine keeps no open alert's ids: they come with the events, and are kept (or spilled) here.
    const held = (this.held = new HeldIds(limits.maxHeldIdBytes ?? HELD_ID_BYTES));
    const ruleIndex = new Map(compiled.map((r, i) => [r, i]));
    this.engine = new CorrelationEngine(
      compiled,
      (event: EngineEvent) => {
        const r = ruleIndex.get(event.rule)!;
        if (event.kind === 'appended') {
          stats.appended++;
          held.appended(r, event.slot, event.alert.ids[0]!);
          return;
        }
        if (event.kind === 'opened') return held.opened(r, event.slot, event.alert.ids);
        const { alert, rule, group } = event;
        const id = rule.rule.id;
        const ruleStats = stats.rules[id]!;
        const ids = held.closed(r, event.slot);
        stats.alerts++;
        ruleStats.alerts++;
        ruleStats.signals += ids.count;
        // As JSON.stringify({rule, group, signals, firstSeen, lastSeen}) writes it, with the ids put in as text.
        const keys = groupKeys[r];
        const groupJson = keys ? objectJson(keys, group) : JSON.stringify(Object.fromEntries(rule.groupBy.map((field, i) => [field, group[i]!])));
        const head = `{"rule":${ruleJson[r]},"group":${groupJson},"signals":[`;
        const tail = `],"firstSeen":"${formatEventTime(alert.firstSeen)}","lastSeen":"${formatEventTime(alert.lastSeen)}"}`;
        finished.add(r, alert.firstSeen, alert.firstSeq, group.join('\u0001'), head, ids.json, tail, ids.part);
      },
      { holdIds: false },
    );
  }

  /** The signal of the time record at buf[start...] (event time t, line n). */
  signal(buf: Buffer, start: number, t: number, n: number): void {
    this.stats.signals++;
    const engine = this.engine!;
    engine.process(this.codec.decode(buf, start, t, n));
    if (++this.sinceEvict >= EVICT_EVERY) {
      this.sinceEvict = 0;
      engine.evictIdle(t);
    }
  }

  /** Closes every open alert: the finished sort then holds them all, and the engine's tables are let go. */
  finish(): { stats: SimulationStats; finished: FinishedSort; held: HeldIds } {
    this.engine!.closeAll();
    this.engine = undefined;
    return { stats: this.stats, finished: this.finished, held: this.held };
  }

  /** Removes what spilled and lets the engine go (the replay is abandoned). */
  discard(): void {
    this.engine = undefined;
    this.finished.discard();
    this.held.discard();
  }
}

/**
 * The group's field names as JSON object keys (`"name":`), when an object built from them keeps their order
 * and each of them: no name twice, none that is an array index (an object puts those first). Else undefined.
 */
function plainKeys(fields: readonly string[]): string[] | undefined {
  if (new Set(fields).size !== fields.length || fields.some((f) => /^(0|[1-9][0-9]*)$/.test(f))) return undefined;
  return fields.map((f) => `${JSON.stringify(f)}:`);
}

/** JSON.stringify of the object of `keys` (plainKeys) and their string `values`. */
function objectJson(keys: readonly string[], values: readonly string[]): string {
  let json = '{';
  for (let i = 0; i < keys.length; i++) json += `${i ? ',' : ''}${keys[i]}${JSON.stringify(values[i])}`;
  return `${json}}`;
}
