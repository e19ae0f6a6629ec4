// From taser's case vocabulary to TheHive's: severities, tags, observables' dataTypes, and close statuses
// for TheHive 5 and 4 (EXTERNAL_APIS.md §1.2, §1.9). Pure functions.
import type { BackendObservable, CaseResolution, CaseSeverity } from '../../src/cases/backend.js';
import type { TheHiveConfig } from './config.js';

export const SEVERITY: Record<CaseSeverity, 1 | 2 | 3 | 4> = { low: 1, medium: 2, high: 3, critical: 4 };

/** The tag a TheHive case carries for its taser case: how a retried create finds the first one. */
export const caseTag = (caseId: string) => `taser:case:${caseId}`;
export const teamTag = (team: string) => `Team:${team}`;

/** Tags taser manages on a TheHive case: kept when the case's own tags are replaced. */
export const isManagedTag = (tag: string) => tag.startsWith('taser:') || tag.startsWith('Team:');

const TAG_MAX = 128;

/** The case's tags plus Team:<team> and taser:case:<id>, each within TheHive's 128 characters, no repeats. */
export function caseTags(input: { caseId: string; team?: string; tags: readonly string[] }): string[] {
  const all = [...input.tags, ...(input.team ? [teamTag(input.team)] : []), caseTag(input.caseId)];
  return [...new Set(all.map((t) => t.trim().slice(0, TAG_MAX)).filter((t) => t !== ''))];
}

export type Mapping = { dataType: string; tags: string[] };

/** Defaults: the list, with the field names taser's sources use for them (src_ip, ...). */
export const DEFAULT_DATA_TYPES: Record<string, Mapping> = {
  ip: { dataType: 'ip', tags: [] },
  src_ip: { dataType: 'ip', tags: ['src_ip'] },
  dst_ip: { dataType: 'ip', tags: ['dst_ip'] },
  domain: { dataType: 'domain', tags: [] },
  fqdn: { dataType: 'fqdn', tags: [] },
  hostname: { dataType: 'hostname', tags: [] },
  hash: { dataType: 'hash', tags: [] },
  md5: { dataType: 'hash', tags: ['md5'] },
  sha1: { dataType: 'hash', tags: ['sha1'] },
  sha256: { dataType: 'hash', tags: ['sha256'] },
  email: { dataType: 'mail', tags: [] },
  mail: { dataType: 'mail', tags: [] },
  url: { dataType: 'url', tags: [] },
  filename: { dataType: 'filename', tags: [] },
  username: { dataType: 'other', tags: ['username'] },
  user: { dataType: 'other', tags: ['username'] },
};

/** The defaults with the configured mapping laid over them (null removes a field). */
export function dataTypeTable(config: Pick<TheHiveConfig, 'dataTypes'>): Map<string, Mapping> {
  const table = new Map(Object.entries(DEFAULT_DATA_TYPES));
  for (const [field, mapping] of Object.entries(config.dataTypes)) {
    if (mapping === null) table.delete(field.toLowerCase());
    else table.set(field.toLowerCase(), typeof mapping === 'string' ? { dataType: mapping, tags: [] } : mapping);
  }
  return table;
}

export interface TheHiveObservable {
  dataType: string;
  data: string;
  tags: string[];
  message?: string;
}

/** taser observables as TheHive ones; unmapped fields become `other` tagged `field:<name>`, or are dropped. */
export function toTheHiveObservables(
  observables: readonly BackendObservable[],
  table: Map<string, Mapping>,
  unmapped: TheHiveConfig['unmappedFields'],
): TheHiveObservable[] {
  const out: TheHiveObservable[] = [];
  const seen = new Set<string>();
  for (const o of observables) {
    const data = o.value.trim();
    if (data === '') continue;
    const field = o.field.toLowerCase();
    const mapping = table.get(field) ?? (unmapped === 'other' ? { dataType: 'other', tags: [`field:${field}`] } : undefined);
    if (!mapping) continue;
    // TheHive refuses the same data twice in a case: send each (dataType, data) once.
    const key = `${mapping.dataType}\u0000${data}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const tags = [...new Set([...mapping.tags, ...(o.tags ?? [])].map((t) => t.slice(0, TAG_MAX)))];
    const message = o.message ?? (o.source ? `from ${o.source}` : undefined);
    out.push({ dataType: mapping.dataType, data, tags, ...(message ? { message } : {}) });
  }
  return out;
}

const TH5_CLOSE: Record<CaseResolution, string> = {
  true_positive: 'TruePositive',
  false_positive: 'FalsePositive',
  indeterminate: 'Indeterminate',
  duplicate: 'Duplicated',
  other: 'Other',
};

/** The PATCH body that closes a case: TH5 closes by status; TH4 resolves with a resolutionStatus. */
export function closePatch(
  version: 4 | 5,
  close: { resolution: CaseResolution; summary: string },
  impactStatus: TheHiveConfig['impactStatus'],
): Record<string, unknown> {
  const summary = close.summary.trim() || `Closed in taser as ${close.resolution.replace('_', ' ')}`;
  const resolution = TH5_CLOSE[close.resolution];
  if (version === 5) return { status: resolution, summary, impactStatus };
  return { status: 'Resolved', resolutionStatus: resolution, summary, impactStatus };
}

/** The PATCH body that reopens a case. */
export const reopenPatch = (version: 4 | 5) => (version === 5 ? { status: 'InProgress' } : { status: 'Open' });
