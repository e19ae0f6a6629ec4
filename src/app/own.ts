// Lookups keyed by outside data (a team from a signal's tag, a severity from a vendor event, a query name
// from a command): a plain object answers "constructor" or "__proto__" from its prototype, so a tag
// `Team:constructor` would pick Object's constructor as a channel. Only own properties count.

/** The value `record` holds under `key` itself, or undefined (never an inherited one). */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string | undefined): T | undefined {
  return record !== undefined && key !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
