// The plugin API. A plugin is a folder under plugins/ whose index.ts default-exports definePlugin({...}).
// Its setup function registers routes through a PluginRegistrar; the host namespaces every id, refuses
// duplicates, and calls handlers with a PluginContext. Plugins never import each other.
import type { z } from 'zod';
import type { Collection, Document } from 'mongodb';
import type { WebClient } from '@slack/web-api';
import type { SlashCommand, BlockAction, ViewSubmitAction } from '@slack/bolt';
import type { Block, KnownBlock, View } from '@slack/types';
import type { Logger } from '../app/logger.js';
import type { CasesApi, ConfirmationsApi, CorrelationApi, PositronApi } from './core-apis.js';

export type { CaseCaller, CasesApi, ConfirmationsApi, CorrelationApi, PositronApi } from './core-apis.js';

export type SlackBlock = Block | KnownBlock;

/** A message sent back to the person who triggered a handler. Ephemeral unless response_type says otherwise. */
export type Reply = string | { text: string; blocks?: SlackBlock[]; response_type?: 'ephemeral' | 'in_channel' };

export interface SlackUser {
  id: string;
  name?: string;
  teamId?: string;
}

// ---------------------------------------------------------------- commands

export interface CommandInput {
  /** The text after the subcommand, trimmed. */
  text: string;
  /** `text` split on whitespace, with "double quoted" arguments kept whole. */
  args: string[];
  user: SlackUser;
  channelId: string;
  triggerId: string;
  /** The raw Slack payload, for the rare field not lifted above. */
  payload: SlashCommand;
  respond(reply: Reply): Promise<void>;
  openModal(view: View): Promise<void>;
}

export interface CommandDefinition<C> {
  /** The Slack slash command, e.g. "/taser". It must be declared in manifests/. */
  command: `/${string}`;
  /** e.g. "help" for `/taser help`. Omitted: the plugin owns the whole slash command. */
  subcommand?: string;
  /** One line, e.g. "/taser threshold <team> <severity>". Shown by help and on bad arguments. */
  usage: string;
  description: string;
  /** Only members of one of these ACL groups (config `groups`) may run it; absent = everyone. */
  groups?: string[];
  /** Slack sends @user and #channel mentions as ids (`<@U123>`): the manifest's `should_escape` for the command. */
  escapesMentions?: boolean;
  handler(input: CommandInput, ctx: PluginContext<C>): Promise<void>;
}

// ---------------------------------------------------------------- interactivity

export interface ActionInput<V> {
  /** The button or select value, parsed and validated with the action's schema. */
  value: V;
  /** The suffix after `namespace:name:` when the action id carries one (several buttons of one action). */
  suffix?: string;
  user: SlackUser;
  channelId?: string;
  messageTs?: string;
  triggerId: string;
  payload: BlockAction;
  respond(reply: Reply & object | string): Promise<void>;
  openModal(view: View): Promise<void>;
}

export interface ActionDefinition<C, V> {
  /** The action_id is `namespace:name` (plus an optional `:suffix`). */
  name: string;
  /** Schema of the value carried in the button (JSON). Absent: the raw string value. */
  value?: z.ZodType<V>;
  handler(input: ActionInput<V>, ctx: PluginContext<C>): Promise<void>;
  /**
   * What a repeated click (double click, replay) is told instead of running again; `when` is the first
   * click's time as a Slack date token. Default: "This was already done at <when>; nothing changed."
   */
  repeated?(when: string): string;
}

export interface ActionRef<V> {
  readonly actionId: string;
  /** The action_id for one of several buttons of this action in one message. */
  withSuffix(suffix: string): string;
  /** Serializes a value for a button; checked against the schema and the 2000-character limit. */
  encode(value: V): string;
}

export interface ViewInput<M> {
  /** Submitted values flattened to `blockId.actionId` -> value (string, string[] or undefined). */
  values: Record<string, string | string[] | undefined>;
  metadata: M;
  user: SlackUser;
  viewId: string;
  payload: ViewSubmitAction;
}

/** A view handler may return field errors (block_id -> message) to keep the modal open. */
export type ViewResult = void | { errors: Record<string, string> };

export interface ViewDefinition<C, M> {
  /** The callback_id is `namespace:name`. */
  name: string;
  metadata?: z.ZodType<M>;
  /** Must answer within Slack's 3 seconds: validate, persist, and schedule slow work as a job. */
  handler(input: ViewInput<M>, ctx: PluginContext<C>): Promise<ViewResult>;
}

export interface ViewRef<M> {
  readonly callbackId: string;
  encode(metadata: M): string;
}

// ---------------------------------------------------------------- events and jobs

export interface EventInput {
  event: Record<string, unknown> & { type: string };
  eventId?: string;
  teamId?: string;
}

export interface EventDefinition<C> {
  /** Slack event type, e.g. "message". Several plugins may listen to one event type. */
  event: string;
  handler(input: EventInput, ctx: PluginContext<C>): Promise<void>;
}

export interface JobInput<D> {
  data: D;
  /** Extends the job's lock; long jobs call it so another replica does not take the job over. */
  touch(): Promise<void>;
}

export interface JobDefinition<C, D> {
  /** The job name is `namespace.name`. */
  name: string;
  data?: z.ZodType<D>;
  /** Longer than the job ever runs; default 10 minutes. */
  lockLifetimeMs?: number;
  concurrency?: number;
  handler(input: JobInput<D>, ctx: PluginContext<C>): Promise<void>;
}

export interface JobRef<D> {
  readonly name: string;
  /** Type-only marker so a JobRef<D> only accepts data of type D. */
  readonly __data?: D;
}

// ---------------------------------------------------------------- signal sources

/** One raw event mapped to a Signal, or the reason it could not be (never a throw). */
export interface MappedSignal {
  /** Position of the event in what the mapper was given. */
  index: number;
  signal?: import('../signals/signal.js').Signal;
  error?: string;
}

export interface PollResult {
  /** Raw events, handed to the source's `map` exactly like a webhook body. */
  events: unknown[];
  /** Where the next poll starts; persisted only after the events are stored. */
  cursor?: string;
}

export interface PollerDefinition<C> {
  /** Agenda interval, e.g. "1 minute". */
  every: string;
  fetch(cursor: string | undefined, ctx: PluginContext<C>, signal: AbortSignal): Promise<PollResult>;
}

export interface SourceDefinition<C> {
  /** The source name: Signal.source, and the webhook path POST /signals/<name>. Unique across plugins. */
  name: string;
  /** Maps a webhook body (one event, an array, or the vendor's envelope) to signals. */
  map(body: unknown): MappedSignal[];
  /** A poller turns the source into a polled one, run as an Agenda job with a persisted cursor. */
  poller?: PollerDefinition<C>;
  /**
   * Answers the vendor's one-time verification GET on the webhook URL (e.g. Okta's
   * X-Okta-Verification-Challenge), after the request is authenticated like a POST. Returns the JSON body to
   * send, or undefined when the request is not a handshake (404).
   */
  handshake?(request: { headers: Record<string, string | string[] | undefined>; query: URLSearchParams }): unknown;
}

// ---------------------------------------------------------------- Positron providers

export interface QueryProviderDefinition<C, I, O> {
  /** The standard query it answers, from src/positron/query-types.ts. */
  type: import('../positron/query-types.js').QueryType<I, O>;
  /** Provider id is `namespace:name` (default name: the plugin's namespace). */
  name?: string;
  /** Higher wins ties between equally agreed answers; default 1. */
  priority?: number;
  /** Overrides the query deadline for this provider. */
  timeoutMs?: number;
  answer(input: I, options: { signal: AbortSignal; ctx: PluginContext<C> }): Promise<import('../positron/fanout.js').ProviderAnswer<O>[]>;
}

// ---------------------------------------------------------------- case backends

export interface CaseBackendDefinition<C> {
  create(ctx: PluginContext<C>): import('../cases/backend.js').CaseBackend;
}

// ---------------------------------------------------------------- pager (confirmation flows' paging)

export interface PagerDefinition<C> {
  create(ctx: PluginContext<C>): import('../confirmations/ports.js').Pager;
}

// ---------------------------------------------------------------- the plugin

export interface PluginRegistrar<C> {
  readonly namespace: string;
  readonly config: C;
  command(def: CommandDefinition<C>): void;
  action<V = string>(def: ActionDefinition<C, V>): ActionRef<V>;
  view<M = undefined>(def: ViewDefinition<C, M>): ViewRef<M>;
  event(def: EventDefinition<C>): void;
  job<D = undefined>(def: JobDefinition<C, D>): JobRef<D>;
  /** A Positron provider: answers one standard query. */
  query<I, O>(def: QueryProviderDefinition<C, I, O>): void;
  /** A signal source: webhook, and polled when it has a poller. */
  source(def: SourceDefinition<C>): void;
  /**
   * A case backend (src/cases/backend.ts): mirrors taser's cases to a case manager. At most one enabled
   * plugin provides one; `create` runs once the process is up, with the plugin's context.
   */
  caseBackend(def: CaseBackendDefinition<C>): void;
  /** A pager (src/confirmations/ports.ts) for confirmation flows' pages; at most one enabled plugin provides one. */
  pager(def: PagerDefinition<C>): void;
  /** A folder of *.hbs Block Kit templates (relative to the plugin folder), registered as `namespace:name`. */
  templates(dir: string): void;
  /**
   * Runs once the process is up, with the plugin's context: subscribe to core events here (e.g.
   * `ctx.correlation.events.on('created', ...)`). A throwing hook stops start-up, naming the plugin.
   */
  onStart(handler: (ctx: PluginContext<C>) => Promise<void> | void): void;
}

export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  /** Unique, lower-case: prefixes every id the plugin registers. */
  namespace: string;
  description: string;
  /** Settings under `plugins.<namespace>` in the config file. Secrets are named by env variable, never inlined. */
  config?: S;
  /** On unless the config file says `enabled: false`; otherwise off unless it says `enabled: true`. */
  enabledByDefault?: boolean;
  /** Settings `taser plugin check` uses when no config file is given (must pass the config schema). */
  exampleConfig?: Record<string, unknown>;
  /**
   * What the plugin needs from Slack beyond its slash commands (which the host reads from its routes):
   * the manifest generator (`taser manifest`) puts exactly these in the Slack app manifest.
   */
  slack?: SlackNeeds;
  setup(plugin: PluginRegistrar<z.output<S>>): void;
}

/** Slack scopes and events a plugin uses; see src/app/manifest.ts. */
export interface SlackNeeds {
  /** Bot token scopes its Web API calls need, e.g. "chat:write", "users:read.email". */
  scopes?: string[];
  /** Bot events to subscribe to, e.g. "app_mention", "message.channels"; each needs a listener (plugin.event). */
  events?: string[];
  /** It publishes an App Home tab (views.publish on app_home_opened). */
  homeTab?: boolean;
}

// ---------------------------------------------------------------- what handlers get

export interface Scheduler {
  now<D>(job: JobRef<D>, data: D): Promise<void>;
  schedule<D>(job: JobRef<D>, when: Date, data: D): Promise<void>;
  every<D>(job: JobRef<D>, interval: string, data: D, options?: { timezone?: string }): Promise<void>;
  cancel<D>(job: JobRef<D>): Promise<number>;
}

export interface AccessControl {
  /** True when the user belongs to at least one of the groups (config `groups`). */
  isMember(userId: string, groups: readonly string[]): Promise<boolean>;
}

export interface CommandInfo {
  namespace: string;
  command: string;
  subcommand?: string;
  usage: string;
  description: string;
  groups?: string[];
}

export interface Renderer {
  render(template: string, data: unknown): { text: string; blocks: SlackBlock[] };
  renderView(template: string, data: unknown): View;
}


/** One outbound call through the core's HTTP client (src/http/client.ts). */
export interface HttpRequestOptions {
  /** Default GET. GET, HEAD, PUT, DELETE and OPTIONS are retried; POST and PATCH only with `safeToRetry`. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** Never logged. */
  headers?: Record<string, string>;
  /** A stream (e.g. a file upload) is sent once and never retried. */
  body?: string | Uint8Array | import('node:stream').Readable;
  /** The caller's deadline (e.g. Positron's): aborting it stops the call and its retries. */
  signal?: AbortSignal;
  /** A POST or PATCH the vendor de-duplicates (an idempotency or dedup key): retried like a GET. */
  safeToRetry?: boolean;
  /** Deadline of the whole call, retries included; default the config's `http.timeoutMs`. */
  timeoutMs?: number;
  /** Follow up to 5 redirects; credentials are not sent on to another origin. Default: no. */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  /** 200-299. */
  ok: boolean;
  /** The URL that answered (after redirects). */
  url: string;
  headers: Headers;
  text(): Promise<string>;
  /** The body parsed as JSON; throws when it is not JSON. */
  json(): Promise<unknown>;
  /** Reads and drops the body, freeing the connection. */
  discard(): Promise<void>;
}

/**
 * Outbound HTTP for plugins: keep-alive pools per origin, timeouts, retries with back-off on connection errors,
 * 429 (when the server says when, Retry-After) and 5xx, HTTP(S)_PROXY / NO_PROXY, extra CA certificates, and
 * per-host metrics. A response of any status is returned; only a call that got no answer throws.
 */
export interface HttpClient {
  request(url: string | URL, options?: HttpRequestOptions): Promise<HttpResponse>;
}


export interface PluginContext<C> {
  namespace: string;
  config: C;
  logger: Logger;
  /** The Web API client with the bot token. */
  slack: WebClient;
  /** A collection private to this plugin (stored as `plugin_<namespace>_<name>`). */
  collection<T extends Document = Document>(name: string): Collection<T>;
  scheduler: Scheduler;
  access: AccessControl;
  templates: Renderer;
  /** Every command registered by every plugin, for help listings. */
  commands(): readonly CommandInfo[];
  positron: PositronApi;
  /** Channel routing from the config file: `default`, `admin`, and a channel per team. */
  channels: { default?: string; admin?: string; teams: Record<string, string> };
  /** Signals, rules and alerts (src/correlation/service.ts): alert cards subscribe to `events`. */
  correlation: CorrelationApi;
  /** taser's cases: create, change and read them; subscribe to `cases.events`. */
  cases: CasesApi;
  /** Confirmation flows: start one, read one, record an answer. */
  confirmations: ConfirmationsApi;
  /** A secret from the environment (NAME, or a file named by NAME_FILE); config names the variable. */
  secret(name: string): string | undefined;
  /** Outbound HTTP to vendors: use this, not the global fetch, so proxies, CAs, retries and metrics apply. */
  http: HttpClient;
  /** The app's Prometheus registry (GET /metrics) for a plugin's own metrics; absent in test harnesses. */
  metrics?: import('prom-client').Registry;
}
