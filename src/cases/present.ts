// How a case is shown: JSON for the HTTP API and `taser case ... --json`, mrkdwn lines for Slack, plain lines
// for the CLI. Every rendering names the case by its number, with its link when it has one.
import { escapeMrkdwn, mrkdwnLink } from '../blocks/escape.js';
import { truncateText } from '../blocks/truncate.js';
import type { StoredCase } from './model.js';

export function backendJson(c: StoredCase) {
  const b = c.backend;
  return {
    name: b.name,
    ...(b.id ? { id: b.id } : {}),
    ...(b.url ? { url: b.url } : {}),
    ...(b.number !== undefined ? { number: b.number } : {}),
    sync: b.sync,
    ...(b.lastError ? { lastError: b.lastError } : {}),
    ...(b.failedAt ? { failedAt: b.failedAt.toISOString() } : {}),
    ...(b.sync === 'pending' && b.attempts ? { attempts: b.attempts, nextAttemptAt: b.nextAttemptAt?.toISOString() } : {}),
  };
}

/** The short form: what POST /api/v1/cases answers and what lists hold. */
export function caseSummaryJson(c: StoredCase, link: string | undefined) {
  return {
    id: c._id,
    number: c.number,
    title: c.title,
    severity: c.severity,
    status: c.status,
    ...(c.team ? { team: c.team } : {}),
    ...(c.assignee ? { assignee: c.assignee } : {}),
    alertCount: c.alertIds.length,
    observableCount: c.observables.length,
    createdAt: c.createdAt.toISOString(),
    ...(link ? { link } : {}),
    backend: backendJson(c),
  };
}

/** The whole case: alerts, observables and sync state. */
export function caseJson(c: StoredCase, link: string | undefined) {
  return {
    ...caseSummaryJson(c, link),
    description: c.description,
    tags: c.tags,
    alertIds: c.alertIds,
    observables: c.observables.map((o) => ({ field: o.field, value: o.value, ...(o.alertIds ? { alertIds: o.alertIds } : {}), addedAt: o.addedAt.toISOString(), addedBy: o.addedBy })),
    createdBy: c.createdBy,
    updatedAt: c.updatedAt.toISOString(),
    ...(c.resolution ? { resolution: c.resolution, summary: c.summary ?? '', closedAt: c.closedAt?.toISOString(), closedBy: c.closedBy } : {}),
    log: logJson(c),
  };
}

/** The case log's length and chain head as of the last change (`verify` recomputes them from the log). */
export function logJson(c: Pick<StoredCase, 'lastSeq' | 'headHash'>) {
  return { entries: c.lastSeq, head: c.headHash ?? null };
}

/** "12 entries, head 3f9a…c21e": the head in full, so a copy taken now proves a later rewrite. */
export function logText(c: Pick<StoredCase, 'lastSeq' | 'headHash'>): string {
  return `${c.lastSeq} entries, head ${c.headHash ?? '(none: written before the log was chained)'}`;
}

/** "Case #12: title" as a link when there is one (mrkdwn, escaped). */
export function caseName(c: Pick<StoredCase, 'number' | 'title'>, link: string | undefined): string {
  const label = `Case #${c.number}: ${truncateText(c.title, 120)}`;
  return link ? mrkdwnLink(link, label) : `*${escapeMrkdwn(label)}*`;
}

/** The backend state in words, for Slack and the CLI. */
export function syncText(c: StoredCase): string {
  const b = c.backend;
  if (b.name === 'taser') return 'kept in taser (no case backend enabled)';
  switch (b.sync) {
    case 'synced':
      return `synced to ${b.name}`;
    case 'pending':
      return b.attempts ? `syncing to ${b.name} (attempt ${b.attempts + 1}; last error: ${b.lastError ?? '?'})` : `syncing to ${b.name}`;
    case 'failed':
      return `sync to ${b.name} FAILED: ${b.lastError ?? 'unknown error'}; an admin retries it with /case retry-sync ${c.number}`;
  }
}

/** One line per case for lists (mrkdwn). */
export function caseListLine(c: StoredCase, link: string | undefined): string {
  const who = c.assignee ? (/^[UW][A-Z0-9]+$/.test(c.assignee) ? `<@${c.assignee}>` : escapeMrkdwn(c.assignee)) : 'unassigned';
  const sync = c.backend.sync === 'failed' ? ' · :warning: sync failed' : '';
  return `• ${caseName(c, link)} · ${c.severity} · ${c.status}${c.team ? ` · team ${escapeMrkdwn(c.team)}` : ''} · ${who} · ${c.alertIds.length} alert(s)${sync}`;
}

/** A plain-text view for the CLI. */
export function caseText(c: StoredCase, link: string | undefined): string {
  const lines = [
    `Case #${c.number}: ${c.title}`,
    `  id ${c._id} · ${c.severity} · ${c.status}${c.resolution ? ` (${c.resolution})` : ''}${c.team ? ` · team ${c.team}` : ''} · ${c.assignee ? `assigned to ${c.assignee}` : 'unassigned'}`,
    `  created ${c.createdAt.toISOString()} by ${c.createdBy}`,
    ...(link ? [`  ${link}`] : []),
    `  backend: ${syncText(c)}`,
    `  log: ${logText(c)}`,
    `  alerts (${c.alertIds.length}): ${c.alertIds.join(', ') || 'none'}`,
    `  observables (${c.observables.length}):`,
    ...c.observables.slice(0, 50).map((o) => `    ${o.field}=${o.value}`),
    ...(c.observables.length > 50 ? [`    ... and ${c.observables.length - 50} more (--json for all)`] : []),
    ...(c.description ? ['', c.description] : []),
    ...(c.summary ? ['', `Summary: ${c.summary}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
