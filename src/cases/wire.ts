// Builds taser's cases once per process: the store, the ACL, the service, the backend sync, and the small
// interface plugins get as `ctx.cases`. The backend (at most one plugin provides it) is bound once plugin
// contexts exist; until then, and when there is none, cases live in taser alone.
import type { Db } from 'mongodb';
import type { WebClient } from '@slack/web-api';
import type { GroupConfig } from '../app/config.js';
import type { Registry } from 'prom-client';
import { ConfigError } from '../app/errors.js';
import type { Logger } from '../app/logger.js';
import type { AccessControl, CaseCaller, CasesApi, PluginContext } from '../plugins/types.js';
import type { RouteTable } from '../plugins/routes.js';
import type { AlertEvents, AlertStore, StoredAlert } from '../correlation/alert-store.js';
import type { JobRunner } from '../jobs/scheduler.js';
import { CaseAccess, type CaseAuditDoc, type Principal } from './access.js';
import type { CaseBackend } from './backend.js';
import type { CasesConfig } from './config.js';
import { CaseService, SYSTEM } from './service.js';
import { CASE_COLLECTIONS, CaseStore } from './store.js';
import { CaseSync, leasesCollection } from './sync.js';
import { ALERT_CASE_ACTIONS } from './alert-buttons.js';
import { CaseExports } from './export/index.js';
import { CaseChannels } from './channels/index.js';
import { CaseInputError } from './model.js';

export interface Cases {
  service: CaseService;
  sync: CaseSync;
  access: CaseAccess;
  store: CaseStore;
  /** Whole-case exports (JSON, CSV) and the cross-case artifact report. */
  exports: CaseExports;
  /** Case channels (src/cases/channels/): present when taser has a Slack client. */
  channels?: CaseChannels;
  /** What plugins get as ctx.cases. */
  api: CasesApi;
  /** Binds the backend plugin's adapter (routes.caseBackends) and notes whether the card buttons have a handler. */
  bindPlugins(routes: RouteTable, contexts: Map<string, PluginContext<unknown>>): void;
  ensureIndexes(): Promise<void>;
  /** Listens to appended alert signals and runs the sync job. */
  start(jobs: JobRunner, alertEvents: AlertEvents): Promise<void>;
}

/** A Slack user acting, their ACL groups resolved by the app's ACL. */
export function slackPrincipal(access: AccessControl, userId: string): Principal {
  return { actor: userId, isMember: (groups) => access.isMember(userId, groups) };
}

export function buildCases(deps: {
  db: Db; alerts: AlertStore; access: AccessControl; config: CasesConfig; logger: Logger; registry?: Registry;
  /** The bot's Web API client and the ACL groups (whom a case channel invites); without them, no case channels. */
  slack?: WebClient; groups?: Record<string, GroupConfig>;
}): Cases {
  const logger = deps.logger.child({ component: 'cases' });
  const store = new CaseStore(deps.db);
  const access = new CaseAccess(deps.config, deps.db.collection<CaseAuditDoc>(CASE_COLLECTIONS.audit), logger);
  let backend: CaseBackend | undefined;
  // The sync is created after the service (each needs the other): `changed` reaches it through this binding.
  let sync: CaseSync | undefined;
  const service = new CaseService({
    store,
    alerts: deps.alerts,
    access,
    config: deps.config,
    logger,
    backendName: () => backend?.name,
    changed: (caseId) => sync?.kick(caseId),
  });
  const channels = deps.slack
    ? new CaseChannels({ db: deps.db, store, service, access, slack: deps.slack, config: deps.config, groups: deps.groups ?? {}, logger: logger.child({ component: 'case-channels' }) })
    : undefined;
  sync = new CaseSync({
    store, service, alerts: deps.alerts, backend: () => backend, config: deps.config, logger, leases: leasesCollection(deps.db),
    ...(deps.registry ? { registry: deps.registry } : {}), ...(channels ? { channels: channels.store } : {}),
  });
  const requireChannels = (): CaseChannels => {
    if (!channels) throw new CaseInputError([{ field: 'channel', message: 'case channels need Slack, which this process has not' }]);
    return channels;
  };

  const exports = new CaseExports(deps.db, store, (c) => service.link(c));

  const who = (caller: CaseCaller): Principal => (caller.kind === 'system' ? SYSTEM : slackPrincipal(deps.access, caller.userId));
  let alertActions: CasesApi['alertActions'];
  const api: CasesApi = {
    events: service.events,
    get: (ref) => service.get(ref),
    list: (query) => service.list(query),
    forAlert: (alertId) => service.forAlert(alertId),
    forAlerts: (alertIds) => service.forAlerts(alertIds),
    create: (caller, input) => service.create(who(caller), input),
    update: (caller, ref, patch) => service.update(who(caller), ref, patch),
    addAlerts: (caller, ref, alertIds) => service.addAlerts(who(caller), ref, alertIds),
    addObservables: (caller, ref, observables) => service.addObservables(who(caller), ref, observables),
    close: (caller, ref, close) => service.close(who(caller), ref, close),
    reopen: (caller, ref) => service.reopen(who(caller), ref),
    retrySync: (caller, ref) => service.retrySync(who(caller), ref),
    refusal: (caller, action, subject) => access.refusal(who(caller), action, subject),
    link: (c) => service.link(c),
    async exportFile(ref, format) {
      const c = await service.require(ref);
      return { case: c, ...(await exports.toTempFile(c, format)) };
    },
    openChannel: (caller, ref, options) => requireChannels().open(who(caller), ref, options),
    logChannelEvent: async (event) => (channels ? channels.onMessageEvent(event) : 0),
    get backend() {
      return backend?.name;
    },
    get alertActions() {
      return alertActions;
    },
  };

  return {
    service,
    sync,
    access,
    store,
    exports,
    ...(channels ? { channels } : {}),
    api,
    bindPlugins(routes, contexts) {
      alertActions = routes.actions.has(ALERT_CASE_ACTIONS.create) && routes.actions.has(ALERT_CASE_ACTIONS.add) ? ALERT_CASE_ACTIONS : undefined;
      const provider = routes.caseBackends[0];
      if (!provider) return;
      try {
        backend = provider.def.create(contexts.get(provider.namespace)!);
      } catch (err) {
        throw new ConfigError([`plugin "${provider.namespace}": its case backend could not be created: ${(err as Error).message}`]);
      }
      logger.info({ backend: backend.name, plugin: provider.namespace }, 'case backend enabled');
    },
    async ensureIndexes() {
      await store.ensureIndexes();
      await channels?.ensureIndexes();
    },
    async start(jobs, alertEvents) {
      // The correlator emits dozens of updates per ingested batch: those that come while a burst is being
      // applied are applied together next (one read of the cases holding them, not one per alert).
      let updated: StoredAlert[] = [];
      let draining = false;
      const drain = async () => {
        draining = true;
        while (updated.length) {
          const burst = updated.splice(0, 500);
          await service.alertsUpdated(burst).catch((err: unknown) => logger.error({ err, alerts: burst.map((a) => a._id) }, 'could not add the observables of updated alerts to their cases'));
        }
        draining = false;
      };
      alertEvents.on('updated', (alert) => {
        updated.push(alert);
        if (!draining && updated.length === 1) queueMicrotask(() => void (draining || drain()));
      });
      await sync!.register(jobs);
      await channels?.register(jobs);
    },
  };
}
