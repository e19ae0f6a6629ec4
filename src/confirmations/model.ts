// Confirmation flows ("was this you?"): the rule option that starts one, the flow as stored, its transitions,
// and the answers people give. A flow moves pending_user -> pending_manager -> escalated | resolved |
// cancelled, never back: so "who leaves state S" is decided once, by a unique insert (store.ts).
import { z } from 'zod';
import { parseDuration } from '../correlation/duration.js';
import { SEVERITIES, type Severity } from '../signals/signal.js';
import { businessHoursSchema, type BusinessHours } from './business-hours.js';

export const FLOW_STATES = ['pending_user', 'pending_manager', 'escalated', 'resolved', 'cancelled'] as const;
export type FlowState = (typeof FLOW_STATES)[number];
export const TERMINAL: ReadonlySet<FlowState> = new Set(['escalated', 'resolved', 'cancelled']);

export const USER_ANSWERS = ['yes', 'no', 'not_sure'] as const;
export type UserAnswer = (typeof USER_ANSWERS)[number];
export const MANAGER_ANSWERS = ['legit', 'not_legit', 'dont_know'] as const;
export type ManagerAnswer = (typeof MANAGER_ANSWERS)[number];
export type Answer = UserAnswer | ManagerAnswer;

export const ANSWER_TEXT: Record<Answer, string> = {
  yes: 'Yes, it was me',
  no: 'No',
  not_sure: 'Not sure',
  legit: 'Legit',
  not_legit: 'Not legit',
  dont_know: "Don't know",
};

/** Bounds on the timeouts: shorter than a second is a typo, longer than two weeks is not a confirmation. */
export const TIMEOUT_LIMITS = { minMs: 1_000, maxMs: 14 * 86_400_000 } as const;

const timeout = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (typeof ms !== 'number') {
    ctx.addIssue({ code: 'custom', message: ms.error });
    return z.NEVER;
  }
  if (ms < TIMEOUT_LIMITS.minMs || ms > TIMEOUT_LIMITS.maxMs) {
    ctx.addIssue({ code: 'custom', message: `must be between 1 second and 14 days (found ${JSON.stringify(value)})` });
    return z.NEVER;
  }
  return ms;
});

/** A rule's `confirm:` option (and the defaults of a flow started by hand). */
export const confirmOptionSchema = z.strictObject({
  /** The alert artifact naming the user to ask: username, email, ... */
  field: z.string().trim().min(1).max(64).default('username'),
  timeout: timeout.default(4 * 3_600_000),
  managerTimeout: timeout.default(4 * 3_600_000),
  /** Yes (or the manager's Legit): close the case as benign, or keep it for an analyst. */
  onYes: z.enum(['close', 'keep']).default('keep'),
  /** Deadlines count only these hours. */
  businessHours: businessHoursSchema.optional(),
  /** Alert severities at which the manager is asked at once, with the user. */
  escalateAtOnce: z.array(z.enum(SEVERITIES)).max(SEVERITIES.length).default([]),
  /** When the on-call step pages: a critical alert (default), always, or never. */
  page: z.enum(['critical', 'always', 'never']).default('critical'),
});
export type ConfirmOptionInput = z.input<typeof confirmOptionSchema>;
export type ConfirmOption = z.output<typeof confirmOptionSchema>;

export interface FlowPerson {
  /** What the flow was asked about (artifact value or what a person typed). */
  ref?: string;
  email?: string;
  username?: string;
  displayName?: string;
  slackUserId?: string;
}

export interface FlowFacts {
  /** When it happened (the alert's last signal). */
  when?: string;
  where?: string;
  device?: string;
  sourceIp?: string;
  /** The rule's name, or the question asked by hand. */
  summary: string;
}

export interface FlowMessage {
  channel: string;
  ts: string;
}

export interface FlowAnswer<A extends Answer = Answer> {
  answer: A;
  by: string;
  at: Date;
}

export interface StoredFlow {
  /** 24 hex, random. */
  _id: string;
  state: FlowState;
  alertId?: string;
  caseId: string;
  caseNumber: number;
  team?: string;
  severity: Severity;
  question?: string;
  facts: FlowFacts;
  options: Omit<ConfirmOption, 'field' | 'businessHours'> & { businessHours?: BusinessHours };
  user: FlowPerson;
  /** Why the user could not be asked (the flow went straight to the manager). */
  userUnresolved?: string;
  manager?: FlowPerson;
  managerUnresolved?: string;
  oncall?: FlowPerson;
  oncallUnresolved?: string;
  userAnswer?: FlowAnswer<UserAnswer>;
  managerAnswer?: FlowAnswer<ManagerAnswer>;
  messages: { user?: FlowMessage; manager?: FlowMessage };
  /** The pending step's deadline. */
  deadline?: Date;
  /** Things that went wrong and what was done instead (a DM that failed, a page refused). */
  problems: { at: Date; message: string }[];
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

export type TransitionCause = 'started' | 'answer' | 'timeout' | 'unresolved' | 'escalate_at_once' | 'case_closed';

/** `<flowId>:<from>`: only one transition ever leaves a state, whoever inserts first. */
export interface FlowTransition {
  _id: string;
  flowId: string;
  from: FlowState | 'new';
  to: FlowState;
  cause: TransitionCause;
  by: string;
  at: Date;
  answer?: Answer;
  note?: string;
}

export const flowIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'a flow id (24 hex characters)');

/** What a DM button carries: the flow, the case (for people reading payloads), and the answer. */
export const buttonValueSchema = z.strictObject({ f: flowIdSchema, c: z.number().int().positive(), a: z.enum([...USER_ANSWERS, ...MANAGER_ANSWERS]) });
export type ButtonValue = z.infer<typeof buttonValueSchema>;

export function isUserAnswer(a: Answer): a is UserAnswer {
  return (USER_ANSWERS as readonly string[]).includes(a);
}

/** What a person's click on a confirmation did (the flow after it). */
export interface AnswerResult {
  outcome: 'recorded' | 'refused' | 'late' | 'duplicate';
  /** What to tell the person who clicked. */
  message: string;
  flow: StoredFlow;
}
