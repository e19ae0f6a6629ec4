// Builds confirmation flows once per process: the store, the page outbox, the state machine, and what plugins
// get as `ctx.confirmations`. The pager (at most one plugin registers it) is bound once plugin contexts exist;
// the Slack messenger is bound by the `confirmations` plugin at start. Flows start when a rule with `confirm`
// creates an alert, and are cancelled when their case closes.
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { ConfigError } from '../app/errors.js';
import type { Logger } from '../app/logger.js';
import type { AlertEvents } from '../correlation/alert-store.js';
import type { Correlation } from '../correlation/service.js';
import type { Cases } from '../cases/wire.js';
import type { JobRunner } from '../jobs/scheduler.js';
import type { RouteTable } from '../plugins/routes.js';
import type { ConfirmationsApi, PluginContext, PositronApi } from '../plugins/types.js';
import type { ConfirmationsConfig } from './config.js';
import { PageOutbox } from './pages.js';
import type { FlowMessenger, Pager } from './ports.js';
import { ConfirmationService } from './service.js';
import { FlowStore } from './store.js';
import { ALERT_ASK_ACTION } from './alert-button.js';

export interface Confirmations {
  service: ConfirmationService;
  store: FlowStore;
  pages: PageOutbox;
  api: ConfirmationsApi;
  bindPlugins(routes: RouteTable, contexts: Map<string, PluginContext<unknown>>): void;
  ensureIndexes(): Promise<void>;
  start(jobs: JobRunner, alertEvents: AlertEvents): Promise<void>;
}

export function buildConfirmations(deps: { db: Db; cases: Cases; correlation: Correlation; positron: PositronApi; config: ConfirmationsConfig; logger: Logger; registry?: Registry }): Confirmations {
  const logger = deps.logger.child({ component: 'confirmations' });
  const store = new FlowStore(deps.db);
  let pager: Pager | undefined;
  let messenger: FlowMessenger | undefined;
  let askAction: string | undefined;
  // The outbox reports to the service, which is built after it.
  let service: ConfirmationService | undefined;
  const pages = new PageOutbox(deps.db, {
    pager: () => pager,
    retry: deps.config.pageRetry,
    logger,
    ...(deps.registry ? { registry: deps.registry } : {}),
    settled: (outcome) => service!.escalation.pageSettled(outcome),
  });
  service = new ConfirmationService({
    store,
    pages,
    cases: { service: deps.cases.service, store: deps.cases.store },
    alerts: deps.correlation.alerts,
    alertEvents: deps.correlation.events,
    rules: deps.correlation.rules,
    signals: deps.correlation.signals,
    positron: deps.positron,
    messenger: () => messenger,
    defaults: deps.config.defaults,
    logger,
  });
  const flows = service;

  const api: ConfirmationsApi = {
    start: (input, by) => flows.start({ ...input, by }),
    get: (id) => flows.get(id),
    async forCase(ref) {
      const c = await deps.cases.service.get(ref);
      return c ? store.forCase(c._id) : [];
    },
    history: (id) => store.history(id),
    answer: (flowId, answer, by) => flows.answer(flowId, answer, by),
    useMessenger(m) {
      if (messenger && messenger !== m) throw new Error('a confirmations messenger is already bound');
      messenger = m;
    },
    get askAction() {
      return askAction;
    },
  };

  return {
    service,
    store,
    pages,
    api,
    bindPlugins(routes, contexts) {
      askAction = routes.actions.has(ALERT_ASK_ACTION) ? ALERT_ASK_ACTION : undefined;
      const provider = routes.pagers[0];
      if (!provider) return;
      try {
        pager = provider.def.create(contexts.get(provider.namespace)!);
      } catch (err) {
        throw new ConfigError([`plugin "${provider.namespace}": its pager could not be created: ${(err as Error).message}`]);
      }
      logger.info({ pager: pager.name, plugin: provider.namespace }, 'pager enabled');
    },
    ensureIndexes: () => store.ensureIndexes(),
    async start(jobs, alertEvents) {
      await flows.register(jobs);
      await pages.register(jobs);
      alertEvents.on('created', (alert) => {
        flows.alertCreated(alert).catch((err: unknown) => logger.error({ err, alert: alert._id }, 'could not start the confirmation flow of a new alert'));
      });
      deps.cases.service.events.on('updated', (c, event) => {
        if (event.kind !== 'closed') return;
        flows.caseClosed(c, event.actor).catch((err: unknown) => logger.error({ err, case: c._id }, 'could not cancel the confirmation flows of a closed case'));
      });
      await pages.resume();
    },
  };
}
