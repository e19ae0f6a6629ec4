// The inventory plugin: Positron's IP_TO_HOSTNAME and HOSTNAME_TO_IP from CSV exports (DHCP leases, asset
// lists). Every matching row is an answer with its own observedAt, so Positron ranks the freshest lease first;
// asset lists outrank leases through their higher confidence.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import type { Logger } from '../../src/app/logger.js';
import { HOSTNAME_TO_IP, IP_TO_HOSTNAME } from '../../src/positron/query-types.js';
import { canonicalIp } from '../../src/signals/normalize.js';
import { hostnameKey, InventoryFile, type InventoryEntry, type InventoryIndex } from './inventory-file.js';

/** Default confidence per kind: an asset list is curated, a lease only says who had the address then. */
const KIND_CONFIDENCE = { asset: 1, dhcp: 0.8 } as const;

const column = z.string().trim().min(1, 'must name a column of the header row');
const fileSchema = z.strictObject({
  /** Relative to the process's working directory, or absolute. */
  path: z.string().trim().min(1, 'must be a file path'),
  ipColumn: column,
  hostnameColumn: column,
  observedAtColumn: column.optional(),
  kind: z.enum(['dhcp', 'asset']).default('asset'),
  /** 0..1; default 1 for an asset list, 0.8 for DHCP leases. */
  confidence: z.number().min(0).max(1).optional(),
});

const configSchema = z.strictObject({
  files: z.array(fileSchema).min(1, 'list at least one CSV file'),
});

/** Every file's index; one that cannot be used fails the query with its file and line. */
async function indexes(files: InventoryFile[], logger: Logger): Promise<InventoryIndex[]> {
  const results = await Promise.allSettled(files.map((f) => f.index()));
  const problems = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (problems.length) {
    logger.warn({ problems }, 'inventory files cannot be used');
    throw new Error(problems.join('; '));
  }
  return results.map((r) => (r as PromiseFulfilledResult<InventoryIndex>).value);
}

const answerOf = <V>(entry: InventoryEntry, value: V) => ({
  value,
  confidence: entry.confidence,
  ...(entry.observedAt ? { observedAt: entry.observedAt } : {}),
});

export default definePlugin({
  namespace: 'inventory',
  description: 'IP_TO_HOSTNAME and HOSTNAME_TO_IP from CSV exports (DHCP leases, asset lists)',
  config: configSchema,
  enabledByDefault: false,
  exampleConfig: {
    files: [
      { path: 'plugins/inventory/fixtures/assets.csv', ipColumn: 'IP Address', hostnameColumn: 'Hostname', kind: 'asset' },
      { path: 'plugins/inventory/fixtures/dhcp-leases.csv', ipColumn: 'ip', hostnameColumn: 'hostname', observedAtColumn: 'lease_start', kind: 'dhcp' },
    ],
  },
  setup(plugin) {
    const files = plugin.config.files.map(
      (f) =>
        new InventoryFile({
          path: isAbsolute(f.path) ? f.path : resolve(process.cwd(), f.path),
          ipColumn: f.ipColumn,
          hostnameColumn: f.hostnameColumn,
          ...(f.observedAtColumn ? { observedAtColumn: f.observedAtColumn } : {}),
          kind: f.kind,
          confidence: f.confidence ?? KIND_CONFIDENCE[f.kind],
        }),
    );

    plugin.query({
      type: IP_TO_HOSTNAME,
      name: 'ip-to-hostname',
      async answer({ ip }, { ctx }) {
        const key = canonicalIp(ip) ?? ip;
        return (await indexes(files, ctx.logger)).flatMap((index) => (index.byIp.get(key) ?? []).map((e) => answerOf(e, { hostname: e.hostname })));
      },
    });
    plugin.query({
      type: HOSTNAME_TO_IP,
      name: 'hostname-to-ip',
      async answer({ hostname }, { ctx }) {
        const key = hostnameKey(hostname);
        return (await indexes(files, ctx.logger)).flatMap((index) => (index.byHostname.get(key) ?? []).map((e) => answerOf(e, { ip: e.ip })));
      },
    });
  },
});
