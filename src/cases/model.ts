// The case as taser stores it, the case events that record every change, and the schemas that check what
// people send (Slack, the HTTP API, the CLI) before anything is stored. taser owns the case; a backend plugin
// (src/cases/backend.ts) only mirrors it, and `backend` on the case says how far that mirror has got.
import { z } from 'zod';
import { UserError } from '../app/errors.js';
import type { CaseResolution, CaseSeverity } from './backend.js';

export const CASE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly CaseSeverity[];
export const CASE_RESOLUTIONS = ['true_positive', 'false_positive', 'indeterminate', 'duplicate', 'other'] as const satisfies readonly CaseResolution[];
export const CASE_STATUSES = ['open', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
/** pending: changes wait for the backend; synced: the backend has them all; failed: a change the backend refused. */
export const SYNC_STATES = ['pending', 'synced', 'failed'] as const;
export type SyncState = (typeof SYNC_STATES)[number];
/** The backend name of a case kept in taser alone (no backend plugin enabled). */
export const LOCAL_BACKEND = 'taser';

export const MAX_TITLE = 200;
export const MAX_DESCRIPTION = 10_000;
export const MAX_SUMMARY = 3_000;
export const MAX_TAGS = 50;

/**
 * Who did something: a Slack user id (U…/W…), `api:<key name>`, `cli:<os user>`, or `taser` for what taser
 * does on its own (e.g. observables of signals appended to a linked alert); a Slack bot id (B…) for a bot's
 * message in a case channel.
 */
export type Actor = string;
export const SYSTEM_ACTOR = 'taser';

export interface CaseObservable {
  /** Canonical artifact field (src/alerts/artifacts.ts): ip fields, domain, hash kinds, email, url, username, ... */
  field: string;
  value: string;
  /** The alerts it came from (absent: added by hand). */
  alertIds?: string[];
  addedAt: Date;
  addedBy: Actor;
}

export interface CaseBackendState {
  /** The backend plugin's name, or `taser` when no backend is enabled. */
  name: string;
  /** The backend's id of its copy, once created. */
  id?: string;
  url?: string;
  number?: number;
  sync: SyncState;
  /** Sequence number of the last case event the backend has applied (0: none). */
  appliedSeq: number;
  attempts: number;
  nextAttemptAt?: Date;
  lastError?: string;
  failedAt?: Date;
}

export interface StoredCase {
  /** 24 hex characters, random. */
  _id: string;
  /** Sequential and unique across replicas, from 1. */
  number: number;
  title: string;
  description: string;
  severity: CaseSeverity;
  status: CaseStatus;
  team?: string;
  /** A Slack user id, or whatever an API client sent (an e-mail, a login). */
  assignee?: string;
  tags: string[];
  alertIds: string[];
  observables: CaseObservable[];
  /** `field=value` and bare `value` of every observable (normalized), for search, as alerts have. */
  artifacts: string[];
  resolution?: CaseResolution;
  summary?: string;
  closedAt?: Date;
  closedBy?: Actor;
  createdAt: Date;
  createdBy: Actor;
  updatedAt: Date;
  backend: CaseBackendState;
  /** Highest case event sequence written (a hint for the next append; the unique event _id is the arbiter). */
  lastSeq: number;
  /** The hash of entry `lastSeq` of the case log (src/cases/chain.ts): the chain head as of the last change. */
  headHash?: string;
}

/** What changed, in one record: the next issues turn these into the case log and channel messages. */
export type CaseEventKind =
  | 'created'
  | 'updated'
  | 'alerts_added'
  | 'observables_added'
  | 'closed'
  | 'reopened'
  | 'backend_linked'
  | 'sync_failed'
  | 'sync_retried'
  | 'channel_opened'
  | 'channel_message'
  // Confirmation flows (src/confirmations/): who was asked, what they answered, where the flow went, the pages.
  | 'confirmation_started'
  | 'confirmation_answered'
  | 'confirmation_transition'
  | 'confirmation_refused'
  | 'page_sent'
  | 'page_failed';

export interface CaseEventData {
  created: { title: string; description: string; severity: CaseSeverity; team?: string; assignee?: string; tags: string[] };
  updated: { changes: Partial<{ title: string; description: string; severity: CaseSeverity; assignee: string | null; tags: string[] }> };
  alerts_added: { alertIds: string[] };
  observables_added: { observables: { field: string; value: string; alertIds?: string[] }[] };
  closed: { resolution: CaseResolution; summary: string };
  reopened: Record<string, never>;
  backend_linked: { name: string; id: string; url?: string };
  sync_failed: { error: string; seq: number };
  sync_retried: Record<string, never>;
  /** A Slack channel made for the case (src/cases/channels/): each press of Open channel makes another. */
  channel_opened: { channel: string; name: string; private: boolean; requestedBy: Actor };
  /** One message (or edit, deletion, join, leave) of a case channel, logged once (unique on channel, ts, kind). */
  channel_message: import('./channels/entry.js').ChannelLogEntry;
  confirmation_started: { flowId: string; user: string; unresolved?: string };
  confirmation_answered: { flowId: string; step: 'user' | 'manager'; answer: string; text: string };
  confirmation_transition: { flowId: string; from: string; to: string; cause: string; note?: string };
  confirmation_refused: { flowId: string; by: string; reason: string };
  page_sent: { flowId: string; action: 'trigger' | 'resolve'; dedupKey: string; attempts: number };
  page_failed: { flowId: string; action: 'trigger' | 'resolve'; error: string; attempts: number };
}

export interface CaseEvent<K extends CaseEventKind = CaseEventKind> {
  /** `<caseId>:<seq, zero-padded>`: unique, so two replicas never write one sequence number twice. */
  _id: string;
  caseId: string;
  seq: number;
  at: Date;
  actor: Actor;
  kind: K;
  data: CaseEventData[K];
  /** The hash of entry seq - 1 (64 zeros for entry 1): src/cases/chain.ts. */
  prevHash: string;
  /** SHA-256 (hex) of this entry's canonical serialization, prevHash included (docs/case-log.md). */
  hash: string;
}

/** Case events the backend mirrors; the others are taser's own bookkeeping. */
export const SYNCED_KINDS: ReadonlySet<CaseEventKind> = new Set(['created', 'updated', 'alerts_added', 'observables_added', 'closed', 'reopened', 'channel_opened', 'channel_message']);

// ---------------------------------------------------------------- input schemas (Slack, API, CLI)

const teamName = z.string().trim().toLowerCase().regex(/^[a-z0-9_.-]{1,64}$/, 'a team name: lower-case letters, digits, . _ -');
const title = z.string().trim().min(1, 'a title is required').max(MAX_TITLE, `at most ${MAX_TITLE} characters`);
const tag = z.string().trim().min(1).max(100);
export const alertIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'an alert id (24 hex characters)');
export const caseSeveritySchema = z.enum(CASE_SEVERITIES, `one of ${CASE_SEVERITIES.join(', ')}`);
export const resolutionSchema = z.enum(CASE_RESOLUTIONS, `one of ${CASE_RESOLUTIONS.join(', ')}`);

export const newCaseSchema = z.strictObject({
  title,
  description: z.string().max(MAX_DESCRIPTION, `at most ${MAX_DESCRIPTION} characters`).default(''),
  severity: caseSeveritySchema,
  team: teamName.optional(),
  assignee: z.string().trim().min(1).max(200).optional(),
  tags: z.array(tag).max(MAX_TAGS).default([]),
  alertIds: z.array(alertIdSchema).max(100).default([]),
});
export type NewCase = z.input<typeof newCaseSchema>;

export const casePatchSchema = z
  .strictObject({
    title: title.optional(),
    description: z.string().max(MAX_DESCRIPTION).optional(),
    severity: caseSeveritySchema.optional(),
    assignee: z.string().trim().min(1).max(200).nullable().optional(),
    tags: z.array(tag).max(MAX_TAGS).optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'nothing to change');
export type CasePatch = z.input<typeof casePatchSchema>;

export const closeSchema = z.strictObject({
  resolution: resolutionSchema,
  summary: z.string().trim().max(MAX_SUMMARY, `at most ${MAX_SUMMARY} characters`).default(''),
});
export type CaseClose = z.input<typeof closeSchema>;

/** A case by its id (24 hex) or its number ("12" or "#12"). */
export function parseCaseRef(text: string): { id: string } | { number: number } | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{24}$/.test(t)) return { id: t };
  const m = /^#?(\d{1,9})$/.exec(t);
  return m ? { number: Number(m[1]) } : undefined;
}

/** The alert severity scale has `info` below `low`; a case starts at low. */
export function caseSeverityOf(severity: string): CaseSeverity {
  return (CASE_SEVERITIES as readonly string[]).includes(severity) ? (severity as CaseSeverity) : 'low';
}

// The errors below are UserErrors: Slack handlers show their message as it is; the HTTP API maps each to a status.

/** A problem with what the caller sent (field -> message): a 400 on the API, a modal error in Slack. */
export class CaseInputError extends UserError {
  constructor(readonly problems: { field: string; message: string }[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }

  static fromZod(error: z.ZodError): CaseInputError {
    return new CaseInputError(error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })));
  }
}

/** The case (or alert) named does not exist. */
export class CaseNotFoundError extends UserError {
}

/** The change makes no sense in the case's state (closing a closed case). */
export class CaseStateError extends UserError {
}

/** The ACL refused (already logged and audited); the message says which groups may. */
export class CaseForbiddenError extends UserError {
}

/** A page of the case list (plugins: `/case list`; API: GET /api/v1/cases). */
export interface CaseQuery {
  status?: CaseStatus;
  team?: string;
  assignee?: string;
  /** `field=value` or a bare value, normalized like alert artifacts. */
  artifact?: string;
  since?: Date;
  until?: Date;
  severity?: CaseSeverity;
  limit: number;
  /** The `next` of the previous page (keyset on the case number: store/keyset.ts). */
  cursor?: string;
  /** The `prev` of the next page: the page before it. */
  before?: string;
}

export interface OpenChannelOptions {
  private?: boolean;
  name?: string;
}

export interface OpenedChannel {
  channel: { id: string; name: string; private: boolean };
  invited: string[];
  failedInvites: { user: string; error: string }[];
  /** Steps after the channel was made that failed (topic, purpose, summary, pin), in words. */
  problems: string[];
}

export const EXPORT_FORMATS = ['json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A case exported to a temporary file; the caller removes it. */
export interface ExportFile {
  path: string;
  filename: string;
  bytes: number;
  remove(): Promise<void>;
}
