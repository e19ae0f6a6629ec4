// What the flow engine needs from plugins, as small interfaces: the core knows neither Slack's message shapes
// nor PagerDuty. The `confirmations` plugin binds a messenger at start; a pager plugin (PagerDuty) registers a
// pager (`plugin.pager(...)`), at most one.
import type { FlowMessage, StoredFlow } from './model.js';

export type PageAction = 'trigger' | 'resolve';
export type PageSeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PageEvent {
  action: PageAction;
  /** The case id: one incident per case, resolved when the case closes. */
  dedupKey: string;
  summary: string;
  severity: PageSeverity;
  /** What raised it, e.g. "taser case #12". */
  source: string;
  link?: string;
  details?: Record<string, unknown>;
}

export interface Pager {
  readonly name: string;
  /** One call; throws PagerError to say whether trying again can help. */
  send(event: PageEvent, signal: AbortSignal): Promise<void>;
}

/** A failed page. `retryable`: 429, 5xx, timeout or no answer; else retrying cannot fix it (a 4xx). */
export class PagerError extends Error {
  override readonly name = 'PagerError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly options: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

/** The Slack side of a flow. Every method does its own Slack calls and throws on failure. */
export interface FlowMessenger {
  /** DMs the user the question with the Yes / No / Not sure buttons. */
  askUser(flow: StoredFlow, slackUserId: string): Promise<FlowMessage>;
  /** DMs the manager the context (and the user's answer) with Legit / Not legit / Don't know. */
  askManager(flow: StoredFlow, slackUserId: string): Promise<FlowMessage>;
  /** Replaces a question's buttons with what happened ("You answered Yes at ..."). */
  settle(message: FlowMessage, flow: StoredFlow, line: string): Promise<void>;
  /** Tells the on-call analyst the case is theirs, with its link. */
  tellOncall(flow: StoredFlow, slackUserId: string, caseLink: string | undefined): Promise<void>;
  /** The Slack user with this e-mail, undefined when Slack knows none. */
  slackUserByEmail(email: string): Promise<string | undefined>;
}
