// The signal pipeline as one service: (enrich) -> hand to correlation -> store -> alerts. Built once per process
// by the core, so the bot, the HTTP API, plugins (through their context) and CLI commands share it.
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import type { Logger } from '../app/logger.js';
import type { PositronApi } from '../plugins/types.js';
import { Enricher, type EnrichmentRule } from '../signals/enrich.js';
import { Ingestor } from '../signals/ingest.js';
import { SignalStore } from '../signals/store.js';
import { AlertEvents, AlertStore } from './alert-store.js';
import { LiveCorrelator, type LiveOptions } from './live.js';
import { RuleStore } from './rule-store.js';

export interface Correlation {
  signals: SignalStore;
  rules: RuleStore;
  alerts: AlertStore;
  /** `created` and `updated`, for the alert cards. */
  events: AlertEvents;
  live: LiveCorrelator;
  enricher: Enricher;
  ingestor: Ingestor;
  /** ACL groups that may enable and disable rules (config `correlation.admins`). */
  admins: readonly string[];
  ensureIndexes(): Promise<void>;
}

export function buildCorrelation(deps: {
  db: Db;
  logger: Logger;
  positron: PositronApi;
  enrichment: EnrichmentRule[];
  admins?: readonly string[];
  foldConfusables?: boolean;
  live?: Partial<LiveOptions>;
  /** Where the correlation metrics register (the app's /metrics). */
  registry?: Registry;
}): Correlation {
  const { db, logger } = deps;
  const signals = new SignalStore(db);
  const rules = new RuleStore(db);
  const alerts = new AlertStore(db);
  const events = new AlertEvents();
  const live = new LiveCorrelator(db, { rules, alerts, signals, events, logger, registry: deps.registry }, deps.live);
  const enricher = new Enricher(deps.enrichment, { positron: deps.positron, logger });
  // Enriched before they are routed and stored: a rule may group on what enrichment adds.
  const ingestor = new Ingestor(signals, logger, async (batch, meanwhile) => {
    await enricher.enrich(batch);
    return live.handOff(batch, meanwhile);
  }, { foldConfusables: deps.foldConfusables });
  return {
    signals,
    rules,
    alerts,
    events,
    live,
    enricher,
    ingestor,
    admins: deps.admins ?? [],
    async ensureIndexes() {
      // One after the other: the embedded FerretDB panics when several collections of a new database are
      // created at the same moment.
      for (const store of [signals, rules, alerts, live]) await store.ensureIndexes();
    },
  };
}
