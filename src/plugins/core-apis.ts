// taser's own services as plugins see them (ctx.cases, ctx.confirmations, ctx.positron, ctx.correlation): narrow
// views named by their model types, so the plugin API does not depend on the services that implement them.
// Re-exported by types.ts, the plugin API.

// ---------------------------------------------------------------- confirmation flows

type StoredFlow = import('../confirmations/model.js').StoredFlow;

/** Confirmation flows (src/confirmations/) as plugins see them; the `confirmations` plugin is their Slack side. */
export interface ConfirmationsApi {
  start(input: { alertId?: string; caseId?: string; user: string; question?: string }, by: string): Promise<StoredFlow>;
  get(id: string): Promise<StoredFlow | null>;
  /** Flows of a case (newest first), by case id or number. */
  forCase(ref: string | number): Promise<StoredFlow[]>;
  history(id: string): Promise<import('../confirmations/model.js').FlowTransition[]>;
  /** A person's click: recorded, refused (not the person asked), late or a duplicate; never throws for those. */
  answer(flowId: string, answer: import('../confirmations/model.js').Answer, by: string): Promise<import('../confirmations/model.js').AnswerResult>;
  /** The Slack side: DMs, message updates, users by e-mail. Bound once, by the plugin that provides it. */
  useMessenger(messenger: import('../confirmations/ports.js').FlowMessenger): void;
  /** Action id of the alert card's Ask user button, when the `confirmations` plugin handles it. */
  readonly askAction: string | undefined;
}

// ---------------------------------------------------------------- cases

/** Who acts on a case from a plugin: a Slack user (checked against the `cases` ACL), or taser itself. */
export type CaseCaller = { kind: 'slack'; userId: string } | { kind: 'system' };

type CaseRef = string | number;
type StoredCase = import('../cases/model.js').StoredCase;

/** taser's cases (src/cases/service.ts) as plugins see them: every change is checked, recorded and announced. */
export interface CasesApi {
  /** `created` and `updated` (the case after the change, and the case event that says who, when, what). */
  events: Pick<import('../cases/events.js').CaseEvents, 'on' | 'off' | 'once'>;
  /** By id, number, or "#12". */
  get(ref: CaseRef): Promise<StoredCase | null>;
  list(query: import('../cases/model.js').CaseQuery): Promise<{ cases: StoredCase[]; next?: string }>;
  forAlert(alertId: string): Promise<StoredCase[]>;
  /** forAlert of several alerts in one read: alert id -> its cases (every id asked is a key). */
  forAlerts(alertIds: string[]): Promise<Map<string, StoredCase[]>>;
  create(who: CaseCaller, input: import('../cases/model.js').NewCase): Promise<StoredCase>;
  update(who: CaseCaller, ref: CaseRef, patch: import('../cases/model.js').CasePatch): Promise<StoredCase>;
  addAlerts(who: CaseCaller, ref: CaseRef, alertIds: string[]): Promise<StoredCase>;
  addObservables(who: CaseCaller, ref: CaseRef, observables: { field: string; value: string }[]): Promise<StoredCase>;
  close(who: CaseCaller, ref: CaseRef, close: import('../cases/model.js').CaseClose): Promise<StoredCase>;
  reopen(who: CaseCaller, ref: CaseRef): Promise<StoredCase>;
  retrySync(who: CaseCaller, ref: CaseRef): Promise<StoredCase>;
  /** Null when allowed; else the refusal to show (logged and audited): e.g. before opening a modal. */
  refusal(who: CaseCaller, action: import('../cases/access.js').CaseAction, subject: { team?: string; caseId?: string; number?: number }): Promise<string | null>;
  /** The link shown with a case (its backend copy, else config `cases.caseUrl`). */
  link(c: Pick<StoredCase, '_id' | 'number' | 'backend'>): string | undefined;
  /**
   * The whole case exported to a temporary file (`json`, or `csv`: a zip of one file per table); the caller
   * uploads it and calls `remove()`. Anyone who may read the case may export it.
   */
  exportFile(ref: CaseRef, format: import('../cases/model.js').ExportFormat): Promise<{ case: StoredCase } & import('../cases/model.js').ExportFile>;
  /** Opens another Slack channel for the case (src/cases/channels/): invites, topic, pinned summary. */
  openChannel(who: CaseCaller, ref: CaseRef, options?: import('../cases/model.js').OpenChannelOptions): Promise<import('../cases/model.js').OpenedChannel>;
  /** A Slack message event: logged on its case when it is a case channel's. Returns the entries newly logged. */
  logChannelEvent(event: unknown): Promise<number>;
  /** The enabled backend's name; undefined when cases live in taser alone. */
  readonly backend: string | undefined;
  /** Action ids of the alert card's Create case / Add to case buttons, when the `cases` plugin handles them. */
  readonly alertActions: { create: string; add: string } | undefined;
}

// ---------------------------------------------------------------- Positron and correlation

/** What handlers can ask Positron (src/positron/service.ts). */
export interface PositronApi {
  run(caller: import('../positron/api.js').Caller, query: string, request: { args: string[] } | { input: unknown }): Promise<import('../positron/api.js').PositronResult>;
  allowedQueries(caller: import('../positron/api.js').Caller): Promise<import('../positron/query-types.js').QueryType[]>;
  /** Every query, whether the caller may run it (and which groups may), and how many providers answer it. */
  describeQueries(caller: import('../positron/api.js').Caller): Promise<import('../positron/api.js').QueryDescription[]>;
}

/**
 * Signals, rules and alerts as plugins see them: narrow views of the stores in src/correlation/ and src/signals/
 * (the services implement them; the plugin API does not depend on the services).
 */
export interface CorrelationApi {
  /** ACL groups that may enable and disable rules (config `correlation.admins`). */
  readonly admins: readonly string[];
  alerts: Pick<import('../correlation/alert-store.js').AlertStore, 'get' | 'search' | 'setStatus' | 'collection'>;
  /** `created` and `updated`, for the alert cards. */
  events: Pick<import('../correlation/alert-store.js').AlertEvents, 'on' | 'off' | 'once'>;
  rules: Pick<import('../correlation/rule-store.js').RuleStore, 'list' | 'get' | 'setEnabled' | 'audit'>;
  signals: Pick<import('../signals/store.js').SignalStore, 'collection'>;
}
