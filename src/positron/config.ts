// Positron settings in the config file: deadlines, ACLs per query, sensitive queries.
// (HTTP API keys are the app's `apiKeys`: their groups are what Positron's ACL checks.)
import { z } from 'zod';

const queryName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a query name such as IP_TO_HOSTNAME');
const groupName = z.string().regex(/^[a-z0-9_-]+$/);

export const positronConfigSchema = z.strictObject({
  /** Deadline per provider unless the provider sets its own. */
  timeoutMs: z.number().int().positive().max(60_000).default(5000),
  /** Query -> groups allowed to run it. A query not listed is open to everyone, unless it is sensitive. */
  acl: z.record(queryName, z.array(groupName).min(1)).default({}),
  /** Queries denied to everyone except the groups `acl` lists for them. */
  sensitive: z.array(queryName).default([]),
});
export type PositronConfig = z.infer<typeof positronConfigSchema>;
