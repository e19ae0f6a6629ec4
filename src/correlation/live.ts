// Live correlation at the speed of storage. The group space is cut into partitions (a hash of rule version and
// group); each partition is owned by one replica under a lease (leases.ts) and its groups' state lives in that
// replica's memory, stepped by the same engine as the simulator. Signals reach their partitions through
// per-partition logs (partition-log.ts), written before the signals are stored; the owner steps each log entry
// in order, writes the resulting alert writes (idempotent: alert _id from rule version, group and episode) and,
// behind, one snapshot document per partition holding every group's state and the log position it covers.
// A replica that takes a partition over (its owner died, or left) loads the snapshot and replays the log from
// there: stepping is deterministic (ties in event time are broken by log position), so the replay makes the
// same episodes, and re-applied alert writes change nothing. Nothing stored is lost, no episode alerts twice.
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import type { Logger } from '../app/logger.js';
import type { Signal } from '../signals/signal.js';
import { signalKey, type SignalStore } from '../signals/store.js';
import { whileWriting, type HandOff } from '../signals/ingest.js';
import type { AlertEvents, AlertStore } from './alert-store.js';
import type { ActiveRule, RuleStore } from './rule-store.js';
import { alertOps, applyOps, StoredRanks } from './alert-writes.js';
import { AlertWriteQueue } from './alert-write-queue.js';
import { RecentSignals } from './recent-signals.js';
import { LEASES_COLLECTION, PartitionLeases } from './leases.js';
import { routeSignals, stepEntry } from './partition-step.js';
import { entryId, LOG_COLLECTION, PartitionLog, pruneCovered, type LogEntry } from './partition-log.js';
import { SNAPSHOTS_COLLECTION, SnapshotWriter, type GroupEntry } from './snapshots.js';

export interface LiveOptions {
  /** Partitions of the group space; fixed for a database (the logs and snapshots are keyed by it). */
  partitions: number;
  /** Length of a lease term: a dead replica's partitions are taken over within about two terms. */
  termMs: number;
  /** How often a changed partition's snapshot is written. */
  snapshotMs: number;
  /** How often the logs are polled for entries other replicas wrote. */
  pollMs: number;
  /** How long an entry whose signals are not all stored is waited for (its writer may still be storing them). */
  settleMs: number;
  /** Signals accepted but not yet correlated above which ingestion answers 429 (config correlation.maxBacklog). */
  maxBacklog: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = { partitions: 8, termMs: 10_000, snapshotMs: 2_000, pollMs: 250, settleMs: 30_000, maxBacklog: 50_000 };

interface Partition {
  groups: Map<string, GroupEntry>;
  /** The next log entry to step. */
  cursor: number;
  dirty: boolean;
  dirtyAt: number;
  loadedAt: number;
}

/** An entry this replica wrote: its signals stay in memory until stepped (here) or seen stepped (elsewhere). */
interface LocalEntry {
  entry: LogEntry;
  signals: Map<string, Signal>;
  /** Keys the signal insert stored; 'failed' when it failed (then the store is asked); unset while it runs. */
  stored?: Set<string> | 'failed';
}

const READ_AHEAD = 32;

export class LiveCorrelator {
  readonly owner = randomUUID();
  readonly options: LiveOptions;
  private readonly log: PartitionLog;
  private readonly leases: PartitionLeases;
  private readonly snapshots: SnapshotWriter;
  private readonly owned = new Map<number, Partition>();
  private readonly local = new Map<string, LocalEntry>();
  /** Recently stepped signals, so an alert's held signals rarely need a read. */
  private readonly recent: RecentSignals;
  /** Alert writes of what was stepped; updates of hot alerts held (merged) while there is a backlog. */
  private readonly writeQueue = new AlertWriteQueue();
  private readonly ranks = new StoredRanks(); // an update that cannot raise an alert's severity is a plain statement
  private timer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private leaseTick?: Promise<void>;
  /** Partitions whose lease ends with this term: written out, then let go. */
  private readonly releasing = new Set<number>();
  private round?: Promise<void>;
  private again = false;
  private stopped = true;
  private polledAt = 0;
  private prunedTerm = -1;
  private readonly rate = { at: Date.now(), keys: 0, perSec: 0 };

  constructor(
    private readonly db: Db,
    private readonly deps: { rules: RuleStore; alerts: AlertStore; signals: SignalStore; events: AlertEvents; logger: Logger; registry?: Registry },
    options: Partial<LiveOptions> & { maxSnapshotBytes?: number } = {},
  ) {
    this.options = { ...DEFAULT_LIVE_OPTIONS, ...options };
    this.log = new PartitionLog(db, (p) => (this.leases.owned(Date.now()).has(p) ? this.owned.get(p)?.cursor : undefined));
    this.leases = new PartitionLeases(db, { partitions: this.options.partitions, termMs: this.options.termMs, owner: this.owner });
    this.recent = new RecentSignals(deps.signals);
    this.snapshots = new SnapshotWriter(db, this.owner, deps.logger, { registry: deps.registry, maxBytes: options.maxSnapshotBytes });
  }

  /**
   * Creates the correlation collections at start-up, one after the other (they need no index: every read is by
   * _id). Left to the first insert, two replicas' first signals would create them at the same moment, which
   * panics the embedded FerretDB.
   */
  async ensureIndexes(): Promise<void> {
    const existing = new Set((await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const name of [LOG_COLLECTION, LEASES_COLLECTION, SNAPSHOTS_COLLECTION]) {
      if (existing.has(name)) continue;
      try {
        await this.db.createCollection(name);
      } catch (err) {
        // Another replica created it first (NamespaceExists).
        if ((err as { code?: unknown }).code !== 48) throw err;
      }
    }
  }

  /** Starts taking leases and stepping partitions. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    // Leases on a clock of their own: a long round of stepping must not miss a renewal.
    this.leaseTimer = setInterval(() => void this.tickLeases(), this.options.termMs / 10);
    void this.tickLeases();
  }

  /** Finishes the round in flight, writes every owned partition out and gives its leases up. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.leaseTimer);
    await this.leaseTick;
    await this.round;
    try {
      await this.flushOps();
      for (const p of this.owned.keys()) await this.writeSnapshot(p);
      await this.snapshots.flush();
      await this.leases.releaseAll(Date.now());
    } catch (err) {
      this.deps.logger.warn({ err }, 'correlation state not fully written at stop; the next owner replays it from the log');
    }
    this.owned.clear();
  }

  /**
   * Stops at once, writing nothing and giving up no lease: what a killed process leaves behind (tests of
   * takeover and recovery use it to crash a replica in-process).
   */
  halt(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.leaseTimer);
  }

  private tickLeases(): Promise<void> {
    if (this.leaseTick || this.stopped) return this.leaseTick ?? Promise.resolve();
    this.leaseTick = (async () => {
      try {
        const now = Date.now();
        const cursors = new Map([...this.owned].map(([p, part]) => [p, part.cursor]));
        const { releasing } = await this.leases.tick(now, cursors);
        for (const p of releasing) this.releasing.add(p);
        for (const [p, hint] of this.leases.cursorHints) this.log.advance(p, hint);
        const k = this.leases.term(now);
        if (k !== this.prunedTerm) {
          this.prunedTerm = k;
          await this.leases.prune(now);
          await pruneCovered(this.log, this.snapshots.written, this.owned, this.options.termMs, now);
        }
      } catch (err) {
        this.deps.logger.warn({ err }, 'correlation lease round failed; retrying');
      } finally {
        this.leaseTick = undefined;
      }
      this.wake();
    })();
    return this.leaseTick;
  }

  /**
   * Routes signals to their partitions' logs, before they are stored. Call `settle` once the signals insert
   * is done (or failed). Throws if the log cannot be written: then nothing may be stored or acknowledged.
   */
  async handOff(signals: Signal[], meanwhile?: () => void): Promise<HandOff | undefined> {
    const { byPartition, byKey } = routeSignals(signals, await this.deps.rules.active(), this.options.partitions);
    if (!byPartition.size) return undefined;
    const entries = await whileWriting(this.log.append(byPartition), meanwhile);
    const locals = entries.map((entry) => ({ entry, signals: new Map(entry.keys.map((k) => [k, byKey.get(k)!])) }) as LocalEntry);
    for (const l of locals) this.local.set(l.entry._id, l);
    return {
      batch: entries[0]!.batch,
      settle: (inserted) => {
        for (const l of locals) l.stored = inserted;
        this.wake();
      },
    };
  }

  /** Signals accepted here and not yet correlated (by this replica, or as far as it knows, by their owner). */
  backlog(): number {
    let n = 0;
    for (const l of this.local.values()) n += l.entry.keys.length;
    return n;
  }

  /** Seconds a sender should wait when the backlog is over the limit, else undefined. */
  retryAfter(): number | undefined {
    const backlog = this.backlog();
    if (backlog <= this.options.maxBacklog) return undefined;
    const excess = backlog - this.options.maxBacklog;
    return Math.max(1, Math.min(60, Math.ceil(excess / Math.max(this.rate.perSec, 100))));
  }

  /** True when everything accepted here is correlated and its alerts written (tests and benchmarks wait on it). */
  idle(): boolean {
    return this.local.size === 0 && this.writeQueue.size === 0 && !this.round;
  }

  /** Partitions this replica steps now. */
  ownedPartitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = (async () => {
      do {
        this.again = false;
        try {
          await this.work();
        } catch (err) {
          this.deps.logger.warn({ err }, 'correlation round failed; retrying');
          await new Promise((r) => setTimeout(r, 200));
        }
      } while (this.again && !this.stopped);
      this.round = undefined;
    })();
  }

  private async work(): Promise<void> {
    const now = Date.now();
    if (this.releasing.size) {
      // Written out before the lease ends, so the next owner replays little.
      await this.flushOps();
      for (const p of this.releasing) if (this.owned.has(p)) await this.writeSnapshot(p);
      this.releasing.clear();
      await this.snapshots.flush();
    }
    const mine = this.leases.owned(now);
    for (const p of this.owned.keys()) if (!mine.has(p)) this.dropPartition(p);
    for (const p of mine) if (!this.owned.has(p)) await this.load(p);

    // Entries other replicas wrote (and ours, after a takeover): one read for every partition, when due.
    const polling = now - this.polledAt >= this.options.pollMs;
    const positions = new Map<number, number>();
    if (polling) {
      this.polledAt = now;
      for (const [p, part] of this.owned) if (!this.local.has(entryId(p, part.cursor))) positions.set(p, part.cursor);
    }
    const fromLog = await this.log.readFrom(positions, READ_AHEAD);
    const chains = new Map<number, LogEntry[]>();
    const lookup = new Set<string>();
    for (const [p, part] of this.owned) {
      const chain: LogEntry[] = [];
      for (let seq = part.cursor; chain.length < READ_AHEAD * 4; seq++) {
        const id = entryId(p, seq);
        const local = this.local.get(id);
        const entry = local?.entry ?? fromLog.get(id);
        if (!entry) break;
        chain.push(entry);
        if (!local || local.stored === 'failed') for (const k of entry.keys) lookup.add(k);
      }
      if (chain.length) chains.set(p, chain);
    }
    if (!chains.size) return this.finishRound(now);
    // Signals of entries not written here, from the store in one read by _id: which of them each entry stored.
    const stored = lookup.size ? await this.deps.signals.collection.find({ _id: { $in: [...lookup] } }, { projection: { signal: 1, batch: 1 } }).toArray() : [];
    const byKey = new Map(stored.map((d) => [d._id, d]));
    const rules = await this.deps.rules.active();
    for (const [p, chain] of chains) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // a webhook that came meanwhile goes first
      const part = this.owned.get(p)!;
      try {
        for (const entry of chain) {
          if (!this.leases.owned(Date.now()).has(p)) break;
          const signals = this.resolve(entry, byKey);
          if (!signals) break;
          await this.stepEntry(p, part, entry, signals, rules);
          part.cursor = entry.seq + 1;
          if (!part.dirty) Object.assign(part, { dirty: true, dirtyAt: Date.now() });
          this.local.delete(entry._id);
          this.rate.keys += entry.keys.length;
        }
      } catch (err) {
        // Its memory may be half-stepped: start again from the snapshot and the log.
        this.dropPartition(p);
        throw err;
      }
    }
    const elapsed = Date.now() - this.rate.at;
    if (elapsed >= 1_000) Object.assign(this.rate, { perSec: (this.rate.keys * 1000) / elapsed, at: Date.now(), keys: 0 });
    await this.finishRound(now);
  }

  /** Alert writes, then the snapshots that are due, then forgetting what other owners are past. */
  private async finishRound(now: number): Promise<void> {
    // Behind (entries waiting): hot alerts' updates are held and merged (alert-write-queue.ts).
    await this.flushOps(this.backlog() > 0);
    // One snapshot at a time, when the writer's byte budget allows: the partition first changed longest ago, due
    // snapshotMs after that change (after its last snapshot, a burst's first entry after a quiet spell made all due).
    // It covers every alert write before its position, so the held ones go out first.
    const waiting = [...this.owned].filter(([, part]) => part.dirty && now - part.dirtyAt >= this.options.snapshotMs).sort((a, b) => a[1].dirtyAt - b[1].dirtyAt);
    const next = waiting[0]?.[0];
    if (next !== undefined && this.snapshots.due(now)) await this.flushOps(true, next).then(() => this.writeSnapshot(next));
    this.forgetSettled();
  }

  /** Lets a partition go, with its alert writes not yet applied (whoever steps it next replays them). */
  private dropPartition(p: number): void {
    this.owned.delete(p);
    this.writeQueue.drop(p);
  }

  private async load(p: number): Promise<void> {
    const { cursor, groups } = await this.snapshots.load(p);
    this.owned.set(p, { groups, cursor, dirty: false, dirtyAt: 0, loadedAt: Date.now() });
    this.log.advance(p, cursor);
    this.deps.logger.info({ partition: p, cursor, groups: groups.size }, 'correlation partition taken');
  }

  /**
   * The signals of an entry that its own ingestion stored (a signal stored earlier by another is a duplicate,
   * counted there). Undefined while that is not known yet.
   */
  private resolve(entry: LogEntry, byKey: Map<string, { signal: Signal; batch?: string }>): Signal[] | undefined {
    const mine = this.local.get(entry._id);
    if (mine && mine.stored === undefined) return undefined;
    const stored = mine?.stored;
    if (mine && stored && stored !== 'failed') return entry.keys.filter((k) => stored.has(k)).map((k) => mine.signals.get(k)!);
    // A missing signal is still being stored, or never will be (its insert failed): wait a while to know.
    const missing = entry.keys.some((k) => !byKey.has(k));
    if (missing && Date.now() - entry.at.getTime() < this.options.settleMs) return undefined;
    return entry.keys.flatMap((k) => {
      const d = byKey.get(k);
      return d && d.batch === entry.batch ? [d.signal] : [];
    });
  }

  private async stepEntry(p: number, part: Partition, entry: LogEntry, signals: Signal[], rules: ActiveRule[]): Promise<void> {
    for (const s of signals) this.recent.remember(signalKey(s), s);
    for (const { active, group, events } of stepEntry(p, this.options.partitions, part.groups, entry, signals, rules)) {
      if (events.length) this.writeQueue.push(p, await alertOps(active, group, events, (keys) => this.recent.load(keys)));
    }
  }

  /**
   * Applies the alert writes of what was stepped (`hold`: updates of alerts held less than a second stay held,
   * except partition `flush`'s); on failure they are kept (idempotent) for the next round.
   */
  private async flushOps(hold = false, flush?: number): Promise<void> {
    if (!this.writeQueue.size) return;
    const writes = this.writeQueue.take(Date.now(), hold, flush);
    if (!writes.length) return;
    try {
      await applyOps(writes.map((w) => w.op), { alerts: this.deps.alerts.collection, events: this.deps.events, logger: this.deps.logger, ranks: this.ranks });
    } catch (err) {
      this.writeQueue.restore(writes);
      throw err;
    }
  }

  /** Captures the partition's state for the snapshot writer (written behind, in the background). */
  private async writeSnapshot(p: number): Promise<void> {
    const part = this.owned.get(p);
    // The snapshot covers the alert writes before its position: only taken when they are all applied.
    if (!part || this.writeQueue.has(p)) return;
    const active = new Set((await this.deps.rules.active()).map((r) => r.compiled.key));
    for (const [id, g] of part.groups) {
      const s = g.state;
      if (!active.has(g.ruleKey) || (s.free.length === 0 && !s.open && s.episodes === 0)) part.groups.delete(id);
    }
    this.snapshots.capture(p, part.cursor, part.groups);
    part.dirty = false;
  }

  /** Entries written for other owners are forgotten once their lease says they are past them. */
  private forgetSettled(): void {
    for (const [id, l] of this.local) {
      if (this.owned.has(l.entry.p)) continue;
      if ((this.leases.cursorHints.get(l.entry.p) ?? -1) > l.entry.seq) this.local.delete(id);
    }
  }
}
