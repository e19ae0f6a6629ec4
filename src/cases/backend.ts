// The case backend port: what a case manager plugin (TheHive, ...) implements so taser can mirror its cases.
// taser owns the case (src/cases/); a backend only mirrors it. Every call is made by the core's durable,
// ordered per-case outbox, which retries what the backend marks retryable; so each method does one HTTP
// exchange's worth of work and throws CaseBackendError to say whether trying again can help.

export type CaseSeverity = 'low' | 'medium' | 'high' | 'critical';
export type CaseResolution = 'true_positive' | 'false_positive' | 'indeterminate' | 'duplicate' | 'other';

/** One artifact of a case, as taser names it: the backend maps `field` to its own data type. */
export interface BackendObservable {
  /** taser's artifact field: ip, domain, fqdn, hash, md5, sha1, sha256, email, url, filename, username, ... */
  field: string;
  value: string;
  tags?: string[];
  message?: string;
  /** Where it came from, e.g. "alert <id>". */
  source?: string;
}

export interface BackendCase {
  /** taser's case id: the backend tags its copy with it so a retried create finds the first one. */
  caseId: string;
  number: number;
  title: string;
  description: string;
  severity: CaseSeverity;
  team?: string;
  /** The assignee's e-mail when known (backends identify users by login). */
  assignee?: string;
  tags: string[];
  /** taser alert ids linked to the case (custom fields where the backend has them). */
  alertIds: string[];
}

export interface BackendCaseRef {
  /** The backend's id of the case, e.g. TheHive's `~123456`. */
  id: string;
  /** A link for people, shown in Slack and the API. */
  url?: string;
  /** The backend's own case number, when it has one. */
  number?: number;
}

export interface BackendCasePatch {
  title?: string;
  description?: string;
  severity?: CaseSeverity;
  assignee?: string | null;
  tags?: string[];
}

export interface BackendTask {
  title: string;
  group?: string;
  description?: string;
}

export interface BackendAlertLink {
  alertId: string;
  title: string;
  severity: CaseSeverity;
  /** e.g. the rule id */
  sourceRef: string;
}

export interface CaseBackend {
  /** Stable name, shown on the case (`backend.name`). */
  readonly name: string;
  /** Creates the case, or returns the one already created for `caseId` (a retried create never makes two). */
  createCase(input: BackendCase, signal: AbortSignal): Promise<BackendCaseRef>;
  updateCase(ref: BackendCaseRef, patch: BackendCasePatch, signal: AbortSignal): Promise<void>;
  closeCase(ref: BackendCaseRef, close: { resolution: CaseResolution; summary: string }, signal: AbortSignal): Promise<void>;
  reopenCase(ref: BackendCaseRef, signal: AbortSignal): Promise<void>;
  /** Observables already present on the case are not an error. */
  addObservables(ref: BackendCaseRef, observables: BackendObservable[], signal: AbortSignal): Promise<void>;
  /** Creates a task, or returns the existing task of that title and group (idempotent). */
  addTask(ref: BackendCaseRef, task: BackendTask, signal: AbortSignal): Promise<{ id: string }>;
  addTaskLog(ref: BackendCaseRef, taskId: string, log: { message: string; date?: Date }, signal: AbortSignal): Promise<{ id: string }>;
  linkAlert(ref: BackendCaseRef, alert: BackendAlertLink, signal: AbortSignal): Promise<void>;
}

/** A failed backend call. `retryable`: a 5xx, 429, timeout or connection error; else retrying cannot fix it. */
export class CaseBackendError extends Error {
  override readonly name = 'CaseBackendError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}
