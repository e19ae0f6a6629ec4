// Settings under `plugins.thehive`. The API key is never in the file: `apiKeyEnv` names the environment
// variable (or NAME_FILE) that holds it.
import { z } from 'zod';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

/** A TheHive dataType for an artifact field, with tags added to each observable; null drops the field. */
const dataTypeMapping = z.union([
  z.string().min(1),
  z.strictObject({ dataType: z.string().min(1), tags: z.array(z.string().min(1).max(128)).default([]) }),
  z.null(),
]);

/** A custom field name in TheHive, or null to not fill it. */
const customFieldName = z.string().min(1).nullable();

export const theHiveConfig = z.strictObject({
  /** TheHive 5 (default) or TheHive 4 (4.1): the routes and statuses differ (EXTERNAL_APIS.md §1.9). */
  version: z.union([z.literal(5), z.literal(4)]).default(5),
  /** Base URL of TheHive, e.g. https://thehive.example.com (without /api). */
  url: z.url(),
  /** Base URL people open, when it differs from `url` (e.g. `url` is an internal address). */
  publicUrl: z.url().optional(),
  /** The organisation the cases go to (X-Organisation header); absent: the API user's default one. */
  organisation: z.string().min(1).optional(),
  /** The environment variable holding the API key. */
  apiKeyEnv: envName.default('THEHIVE_API_KEY'),
  /** Each HTTP call gives up after this long (a timeout is retryable). */
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  /** taser artifact field -> TheHive dataType, over the defaults (see README); null drops a default. */
  dataTypes: z.record(z.string().min(1), dataTypeMapping).default({}),
  /** Fields with no mapping: `other` (tagged `field:<name>`) or `ignore`. */
  unmappedFields: z.enum(['other', 'ignore']).default('other'),
  /** Custom fields filled where TheHive has them (absent ones are skipped); null: never filled. */
  customFields: z
    .strictObject({
      caseId: customFieldName.default('taser-case-id'),
      alertIds: customFieldName.default('taser-alert-ids'),
    })
    .prefault({}),
  tlp: z.number().int().min(0).max(4).default(2),
  pap: z.number().int().min(0).max(3).default(2),
  /** impactStatus sent when closing (TheHive asks it for true positives). */
  impactStatus: z.enum(['NotApplicable', 'WithImpact', 'NoImpact']).default('NotApplicable'),
  /** type and source of the TheHive alerts that stand for taser alerts linked to a case. */
  alerts: z
    .strictObject({
      type: z.string().min(1).max(32).default('taser'),
      source: z.string().min(1).max(32).default('taser'),
    })
    .prefault({}),
});
export type TheHiveConfig = z.output<typeof theHiveConfig>;
