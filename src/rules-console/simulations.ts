// The console's simulator: a draft rule (or a stored one) backtested on the stored signals of a period, as a
// job. It runs the same backtest as `taser simulate --rule --since` (correlation/backtest.ts) with its hooks:
// progress every 1,000 signals after a turn of the event loop (the server stays responsive), a cancel flag
// checked between batches, and at most SAMPLES sample alerts kept (memory flat), rendered at the end as the
// Slack card the bot would post. The job's state is a document in `rule_simulations` (`_id` the job id,
// written and read by `_id` only), so any replica answers progress and cancel for a job another one runs;
// the running replica writes a heartbeat, and a job whose heartbeat stopped is reported `lost`.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import type { Renderer, SlackBlock } from '../plugins/types.js';
import { backtestRule, type BacktestReport } from '../correlation/backtest.js';
import type { Rule } from '../correlation/rule.js';
import { renderAlertCard } from '../alerts/card.js';
import { alertSeverity } from '../alerts/preview.js';
import { decodeSignal } from '../signals/stored-form.js';
import { SIGNALS_COLLECTION, type StoredSignal } from '../signals/store.js';

export const SIMULATIONS_COLLECTION = 'rule_simulations';
/** Cancel requests, one insert each: an update of the job document could be overwritten by the runner's next
 * write, since the embedded database's updates rewrite whole documents (STACK_NOTES). */
export const SIMULATION_CANCELS_COLLECTION = 'rule_simulation_cancels';
const SAMPLES = 5;
const CARD_SIGNALS = 20;
/** Progress and the cancel flag go to / come from the database at most this often. */
const SYNC_MS = 1_000;
const LOST_AFTER_MS = 30_000;
/** Simulations running at once in one process (each takes a core while it runs). */
export const MAX_RUNNING = 2;

export type SimulationStatus = 'running' | 'done' | 'cancelled' | 'failed' | 'lost';

export interface SampleCard {
  group: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
  signalCount: number;
  message: { text: string; blocks: SlackBlock[] };
}

export interface SimulationDoc {
  _id: string;
  status: SimulationStatus;
  ruleId: string;
  definition: Record<string, unknown>;
  since: Date;
  until: Date;
  by: string;
  startedAt: Date;
  heartbeatAt: Date;
  finishedAt?: Date;
  /** Signals read so far (then replayed, in phase `replay`), and the period's total once counted. */
  read: number;
  phase?: 'read' | 'replay';
  total?: number;
  report?: BacktestReport;
  samples?: SampleCard[];
  error?: string;
}

class Cancelled extends Error {}

export class TooManySimulationsError extends Error {
  override readonly name = 'TooManySimulationsError';
}

export class SimulationJobs {
  readonly collection: Collection<SimulationDoc>;
  private readonly signals: Collection<StoredSignal>;
  private readonly cancels: Collection<{ _id: string; at: Date }>;
  /** Jobs this process runs: their cancel flags (a local cancel needs no database round trip). */
  private readonly running = new Map<string, { cancel: boolean; done: Promise<void> }>();

  constructor(
    private readonly db: Db,
    private readonly deps: {
      renderer: Renderer;
      logger: Logger;
      clock?: () => number;
      /** The period's signal count, estimated cheaply (the field summary's days); default: counted by the database. */
      estimate?: (since: Date, until: Date) => Promise<number>;
    },
  ) {
    this.collection = db.collection<SimulationDoc>(SIMULATIONS_COLLECTION);
    this.signals = db.collection<StoredSignal>(SIGNALS_COLLECTION);
    this.cancels = db.collection<{ _id: string; at: Date }>(SIMULATION_CANCELS_COLLECTION);
  }

  private now = () => new Date((this.deps.clock ?? Date.now)());

  /** Starts a job; returns its id at once. */
  async start(rule: Rule, definition: Record<string, unknown>, since: Date, until: Date, by: string): Promise<string> {
    if (this.running.size >= MAX_RUNNING) throw new TooManySimulationsError(`${MAX_RUNNING} simulations are running in this process; wait for one to finish or cancel one`);
    const id = randomUUID();
    const now = this.now();
    await this.collection.insertOne({ _id: id, status: 'running', ruleId: rule.id, definition, since, until, by, startedAt: now, heartbeatAt: now, read: 0 });
    const job = { cancel: false, done: Promise.resolve() };
    this.running.set(id, job);
    job.done = this.run(id, rule, since, until, job).finally(() => this.running.delete(id));
    return id;
  }

  /** The job as stored; a running job whose replica stopped writing its heartbeat is `lost`. */
  async get(id: string): Promise<SimulationDoc | null> {
    const doc = await this.collection.findOne({ _id: id });
    if (doc?.status === 'running' && !this.running.has(id) && this.now().getTime() - doc.heartbeatAt.getTime() > LOST_AFTER_MS) return { ...doc, status: 'lost' };
    return doc;
  }

  /** Asks the job to stop (whichever replica runs it); false when there is no such job. */
  async cancel(id: string): Promise<boolean> {
    const local = this.running.get(id);
    if (local) local.cancel = true;
    if (!(await this.collection.findOne({ _id: id }, { projection: { _id: 1 } }))) return false;
    await this.cancels.insertOne({ _id: id, at: this.now() }).catch((err: unknown) => {
      if (!isDuplicateKeyError(err)) throw err;
    });
    return true;
  }

  /** Waits for a job this process runs (tests, shutdown). */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }

  async stop(): Promise<void> {
    for (const job of this.running.values()) job.cancel = true;
    await Promise.all([...this.running.values()].map((j) => j.done));
  }

  private async run(id: string, rule: Rule, since: Date, until: Date, job: { cancel: boolean }): Promise<void> {
    const log = this.deps.logger.child({ simulation: id, rule: rule.id });
    // Estimated beside the run. Counting would be a second scan of the signals on the embedded database.
    // Awaited before the last write: two writes in flight on one document may undo each other on the embedded database.
    const estimated = (this.deps.estimate?.(since, until) ?? this.signals.countDocuments({ occurredAt: { $gte: since, $lte: until } }))
      .then((total) => this.collection.updateOne({ _id: id }, { $set: { total } }))
      .catch((err: unknown) => log.warn({ err }, 'could not count the period\'s signals'));
    const samples: { group: Record<string, string>; firstSeen: Date; lastSeen: Date; count: number; ids: string[] }[] = [];
    let closed = 0;
    let lastSync = 0;
    try {
      const report = await backtestRule(this.db, rule, since, until, {
        onAlert: (alert) => {
          // Reservoir sampling: every alert equally likely to be shown, SAMPLES kept at most.
          closed++;
          const slot = closed <= SAMPLES ? closed - 1 : Math.floor(Math.random() * closed);
          if (slot < SAMPLES) samples[slot] = { group: alert.group, firstSeen: alert.firstSeen, lastSeen: alert.lastSeen, count: alert.ids.length, ids: alert.ids.slice(-CARD_SIGNALS) };
        },
        onProgress: async (read, phase) => {
          if (job.cancel) throw new Cancelled();
          const now = this.now();
          if (now.getTime() - lastSync < SYNC_MS) return;
          lastSync = now.getTime();
          await this.collection.updateOne({ _id: id }, { $set: { read, phase, heartbeatAt: now } });
          if (job.cancel || (await this.cancels.findOne({ _id: id }))) throw new Cancelled();
        },
      });
      const cards = await this.renderSamples(rule, samples);
      await estimated;
      await this.collection.updateOne({ _id: id }, { $set: { status: 'done', read: report.signals, report, samples: cards, finishedAt: this.now(), heartbeatAt: this.now() } });
      log.info({ signals: report.signals, alerts: report.alerts }, 'simulation done');
    } catch (err) {
      const cancelled = err instanceof Cancelled;
      if (!cancelled) log.error({ err }, 'simulation failed');
      await estimated;
      await this.collection
        .updateOne({ _id: id }, { $set: { status: cancelled ? 'cancelled' : 'failed', finishedAt: this.now(), ...(cancelled ? {} : { error: (err as Error).message }) } })
        .catch((e: unknown) => log.error({ err: e }, 'could not record the end of a simulation'));
    }
  }

  private async renderSamples(rule: Rule, samples: { group: Record<string, string>; firstSeen: Date; lastSeen: Date; count: number; ids: string[] }[]): Promise<SampleCard[]> {
    const ids = samples.flatMap((s) => s.ids);
    const docs = ids.length ? await this.signals.find({ _id: { $in: ids } }).toArray() : [];
    const byId = new Map(docs.map((d) => [d._id, decodeSignal(d)]));
    return samples
      .sort((a, b) => a.firstSeen.getTime() - b.firstSeen.getTime())
      .map((s, i) => {
        const held = s.ids.map((k) => byId.get(k)).filter((x) => x !== undefined);
        const message = renderAlertCard(this.deps.renderer, {
          alert: {
            id: `simulated-${i + 1}`,
            ruleId: rule.id,
            ruleName: rule.name,
            template: rule.template,
            group: s.group,
            severity: alertSeverity(rule, held),
            status: 'open',
            team: rule.team,
            firstSeen: s.firstSeen.toISOString(),
            lastSeen: s.lastSeen.toISOString(),
            signalCount: s.count,
          },
          signals: held,
        });
        return { group: s.group, firstSeen: s.firstSeen.toISOString(), lastSeen: s.lastSeen.toISOString(), signalCount: s.count, message };
      });
  }
}
