// What the confirmation flows run on: the stores, the case service, Positron and the Slack messenger. Its own
// module so the escalation steps and the service both name it without importing each other.
import type { Logger } from '../app/logger.js';
import type { AlertEvents, AlertStore } from '../correlation/alert-store.js';
import type { RuleStore } from '../correlation/rule-store.js';
import type { SignalStore } from '../signals/store.js';
import type { PositronApi } from '../plugins/core-apis.js';
import type { CaseService } from '../cases/service.js';
import type { CaseStore } from '../cases/store.js';
import type { ConfirmOptionInput } from './model.js';
import type { FlowStore } from './store.js';
import type { FlowMessenger } from './ports.js';
import type { PageOutbox } from './pages.js';

export interface FlowDeps {
  store: FlowStore;
  pages: PageOutbox;
  cases: { service: CaseService; store: CaseStore };
  alerts: Pick<AlertStore, 'get' | 'collection'>;
  /** Told of each history line added to an alert, so its card is redrawn. */
  alertEvents?: AlertEvents;
  rules: Pick<RuleStore, 'get' | 'active'>;
  signals: Pick<SignalStore, 'collection'>;
  positron: PositronApi;
  messenger(): FlowMessenger | undefined;
  defaults: ConfirmOptionInput;
  logger: Logger;
}
