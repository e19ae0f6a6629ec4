// An alert's artifacts as case observables. The alert already holds every `field=value` of its signals,
// normalized (SEMANTICS.md), so a case reads them there instead of loading 1,000 signals; fields are folded
// to their canonical names (user_name -> username) so two sources' spellings are one observable.
import { canonicalField } from '../alerts/artifacts.js';
import { normalizeValue } from '../signals/normalize.js';
import type { StoredAlert } from '../correlation/alert-store.js';
import type { CaseObservable } from './model.js';

/** At most this many observables per case: beyond it, the case notes it instead of growing without end. */
export const MAX_OBSERVABLES = 5_000;

export interface ObservableInput {
  field: string;
  value: string;
  alertIds?: string[];
}

export const observableKey = (o: { field: string; value: string }) => `${o.field}=${o.value}`;

/** Every `field=value` artifact of the alert, canonical, de-duplicated, in the alert's order. */
export function observablesOfAlert(alert: Pick<StoredAlert, '_id' | 'artifacts'>): ObservableInput[] {
  const out = new Map<string, ObservableInput>();
  for (const entry of alert.artifacts) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue; // the bare-value copy of an artifact, kept on alerts for search
    const normalized = normalizeObservable(entry.slice(0, eq), entry.slice(eq + 1));
    if (normalized && !out.has(observableKey(normalized))) out.set(observableKey(normalized), { ...normalized, alertIds: [alert._id] });
  }
  return [...out.values()];
}

/** A field and value as a case stores them, or undefined when the value is empty. */
export function normalizeObservable(field: string, value: string): { field: string; value: string } | undefined {
  const f = canonicalField(field);
  const v = normalizeValue(value);
  if (!f || v === undefined) return undefined;
  return { field: f, value: v };
}

/** The candidates the case does not hold yet (first spelling wins), and the search keys they add. */
export function newObservables(existing: readonly CaseObservable[], candidates: readonly ObservableInput[]): ObservableInput[] {
  const seen = new Set(existing.map(observableKey));
  const out: ObservableInput[] = [];
  for (const c of candidates) {
    const key = observableKey(c);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

/** Search keys, as alerts keep them: `field=value` and the bare value. */
export function artifactKeys(observables: readonly { field: string; value: string }[]): string[] {
  return [...new Set(observables.flatMap((o) => [observableKey(o), o.value]))];
}
