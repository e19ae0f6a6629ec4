// What a card shows of its alert changes with these fields: every write of an alert that a card shows (signals
// appended, a status set) sets updatedAt, and appends change signalCount. The outbox compares the version a card
// was rendered from with the stored one after recording the send, to find changes that came meanwhile.
import type { StoredAlert } from '../../src/correlation/alert-store.js';

export type VersionFields = Pick<StoredAlert, '_id' | 'updatedAt' | 'signalCount' | 'status'>;
export const VERSION_PROJECTION = { _id: 1, updatedAt: 1, signalCount: 1, status: 1 } as const;

export function alertVersion(alert: Omit<VersionFields, '_id'>): string {
  return `${alert.updatedAt instanceof Date ? alert.updatedAt.getTime() : String(alert.updatedAt)}/${alert.signalCount}/${alert.status}`;
}
