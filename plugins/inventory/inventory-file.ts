// One CSV export (DHCP leases or an asset list) as an index by IP and by hostname. The file is read again only
// when its modification time or size changes; a broken file keeps failing with the same error until it does.
import { readFile, stat } from 'node:fs/promises';
import { canonicalIp } from '../../src/signals/normalize.js';
import { IP_TO_HOSTNAME } from '../../src/positron/query-types.js';
import { CsvError, parseCsv } from './csv.js';

export interface InventoryFileSpec {
  /** Absolute path. */
  path: string;
  ipColumn: string;
  hostnameColumn: string;
  observedAtColumn?: string;
  kind: 'dhcp' | 'asset';
  confidence: number;
}

export interface InventoryEntry {
  /** Canonical form (src/signals/normalize.ts). */
  ip: string;
  /** Lower-case, without a trailing dot. */
  hostname: string;
  observedAt?: string;
  confidence: number;
}

export interface InventoryIndex {
  byIp: Map<string, InventoryEntry[]>;
  byHostname: Map<string, InventoryEntry[]>;
}

/** A file that cannot be used, with what is wrong and where. */
export class InventoryFileError extends Error {
  override readonly name = 'InventoryFileError';
}

export const hostnameKey = (hostname: string) => hostname.trim().toLowerCase().replace(/\.$/, '');

/**
 * ISO-8601 date or date-time (a time without a zone is UTC), or Unix seconds; anything else is undefined.
 * Strict on purpose: "03/04/2026" means different days in different exports.
 */
export function parseObservedAt(text: string): string | undefined {
  const value = text.trim();
  if (/^\d{9,10}$/.test(value)) return new Date(Number(value) * 1000).toISOString();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(value);
  if (!m) return undefined;
  const [, date, time, zone] = m as unknown as [string, string, string | undefined, string | undefined];
  // Date.parse rolls 2026-02-30 over to March 2: refuse days that do not exist.
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  if (new Date(Date.UTC(y, mo - 1, d)).toISOString().slice(0, 10) !== date) return undefined;
  const zoneText = zone ? (zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z';
  const ms = Date.parse(time ? `${date}T${time.replace(/(\.\d{3})\d+$/, '$1')}${zoneText}` : `${date}T00:00:00Z`);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString();
}

function columnIndex(header: string[], wanted: string, what: string): number {
  const index = header.findIndex((h) => h.trim().toLowerCase() === wanted.trim().toLowerCase());
  if (index < 0) throw new CsvError(1, `no ${what} column ${JSON.stringify(wanted)} (the header has: ${header.map((h) => JSON.stringify(h)).join(', ')})`);
  return index;
}

/** Parses a whole export into an index; throws CsvError naming the line of the first problem. */
export function indexInventory(text: string, spec: Omit<InventoryFileSpec, 'path'>): InventoryIndex {
  const { header, records } = parseCsv(text);
  const ipAt = columnIndex(header, spec.ipColumn, 'IP');
  const hostnameAt = columnIndex(header, spec.hostnameColumn, 'hostname');
  const observedAtAt = spec.observedAtColumn === undefined ? undefined : columnIndex(header, spec.observedAtColumn, 'observedAt');
  const index: InventoryIndex = { byIp: new Map(), byHostname: new Map() };
  for (const { line, fields } of records) {
    const rawIp = fields[ipAt]!.trim();
    const rawHostname = fields[hostnameAt]!.trim();
    // A row without an address or a name (an offline asset, an anonymous lease) says nothing to look up.
    if (!rawIp || !rawHostname) continue;
    const ip = canonicalIp(rawIp);
    if (!ip) throw new CsvError(line, `${JSON.stringify(rawIp)} in column ${JSON.stringify(spec.ipColumn)} is not an IP address`);
    const hostname = hostnameKey(rawHostname);
    if (!IP_TO_HOSTNAME.output.safeParse({ hostname }).success) {
      throw new CsvError(line, `${JSON.stringify(rawHostname)} in column ${JSON.stringify(spec.hostnameColumn)} is not a hostname`);
    }
    let observedAt: string | undefined;
    const rawObservedAt = observedAtAt === undefined ? '' : fields[observedAtAt]!.trim();
    if (rawObservedAt) {
      observedAt = parseObservedAt(rawObservedAt);
      if (!observedAt) {
        throw new CsvError(line, `${JSON.stringify(rawObservedAt)} in column ${JSON.stringify(spec.observedAtColumn)} is not an ISO-8601 date-time (e.g. 2026-11-24T10:00:00Z) or Unix seconds`);
      }
    }
    const entry: InventoryEntry = { ip, hostname, confidence: spec.confidence, ...(observedAt ? { observedAt } : {}) };
    (index.byIp.get(ip) ?? index.byIp.set(ip, []).get(ip)!).push(entry);
    (index.byHostname.get(hostname) ?? index.byHostname.set(hostname, []).get(hostname)!).push(entry);
  }
  return index;
}

export class InventoryFile {
  private cached?: { stamp: string; index: Promise<InventoryIndex> };

  constructor(readonly spec: InventoryFileSpec) {}

  /** The file's index, read again only when the file changed since the last read. */
  async index(): Promise<InventoryIndex> {
    const { path } = this.spec;
    let stamp: string;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new InventoryFileError(`inventory file ${path}: not a regular file`);
      stamp = `${info.mtimeMs}:${info.size}`;
    } catch (err) {
      if (err instanceof InventoryFileError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new InventoryFileError(`inventory file ${path}: ${code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? (err as Error).message})`}`);
    }
    // Concurrent queries share one read; a failed read is kept too, so a broken file is not re-read per query.
    if (this.cached?.stamp !== stamp) this.cached = { stamp, index: this.load() };
    return this.cached.index;
  }

  private async load(): Promise<InventoryIndex> {
    const { path } = this.spec;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new InventoryFileError(`inventory file ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      return indexInventory(text, this.spec);
    } catch (err) {
      if (err instanceof CsvError) throw new InventoryFileError(`inventory file ${path}, ${err.message}`);
      throw err;
    }
  }
}
