// VirusTotal: HASH_REPUTATION from /api/v3/files/{hash} and the reputation part of DOMAIN_INFO from
// /api/v3/domains/{domain}, both read from the engines' tally of the last analysis.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { DOMAIN_INFO, HASH_REPUTATION } from '../../src/positron/query-types.js';
import { VirusTotalClient } from './client.js';
import { analysisStatsSchema, domainReputation, tally } from './verdict.js';

const configSchema = z.strictObject({
  /** The env variable that holds the API key (sent as x-apikey). */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name such as VIRUSTOTAL_API_KEY').default('VIRUSTOTAL_API_KEY'),
  baseUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://www.virustotal.com' }).default('https://www.virustotal.com'),
  /** Engines flagging malicious needed for the verdict "malicious"; fewer make it "suspicious". */
  maliciousThreshold: z.number().int().min(1).default(2),
  /** Client-side budget (the public API allows 4 per minute); absent: no client-side limit. */
  requestsPerMinute: z.number().int().positive().optional(),
});

const analysedObject = <A extends z.ZodType>(attributes: A) => z.looseObject({ data: z.looseObject({ attributes }) });
const commonAttributes = {
  last_analysis_stats: analysisStatsSchema.optional(),
  /** Epoch seconds. */
  last_analysis_date: z.number().optional(),
};
const fileSchema = analysedObject(z.looseObject({ ...commonAttributes, meaningful_name: z.string().optional(), names: z.array(z.string()).optional() }));
const domainSchema = analysedObject(z.looseObject(commonAttributes));

const MAX_NAMES = 10;

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new Error(`VirusTotal answered an unexpected ${what} (${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join(', ')})`);
  }
  return parsed.data;
}

/** Stats of an object never analysed (e.g. just uploaded) are empty or all zero: no verdict yet. */
const analysed = (stats: Record<string, number> | undefined): stats is Record<string, number> => !!stats && Object.values(stats).some((n) => n > 0);
const observedAt = (epochSeconds: number | undefined) => (epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000).toISOString());

export default definePlugin({
  namespace: 'virustotal',
  description: 'HASH_REPUTATION and domain reputation (DOMAIN_INFO) from VirusTotal',
  config: configSchema,
  enabledByDefault: false,
  exampleConfig: { apiKeyEnv: 'VIRUSTOTAL_API_KEY', maliciousThreshold: 2, requestsPerMinute: 4 },
  setup(plugin) {
    // One client for both queries: VirusTotal's quota is per API key.
    const client = new VirusTotalClient({ baseUrl: plugin.config.baseUrl, apiKeyEnv: plugin.config.apiKeyEnv, requestsPerMinute: plugin.config.requestsPerMinute });

    plugin.query({
      type: HASH_REPUTATION,
      name: 'files',
      async answer({ hash }, { signal, ctx }) {
        const body = await client.get(ctx.http, `files/${hash}`, ctx.secret(ctx.config.apiKeyEnv), signal);
        if (body === undefined) return [];
        const { attributes } = parse(fileSchema, body, 'file object').data;
        if (!analysed(attributes.last_analysis_stats)) return [];
        const names = [...new Set([attributes.meaningful_name, ...(attributes.names ?? [])].filter((n): n is string => !!n))].slice(0, MAX_NAMES);
        return [
          {
            value: { ...tally(attributes.last_analysis_stats, ctx.config.maliciousThreshold), ...(names.length ? { names } : {}) },
            observedAt: observedAt(attributes.last_analysis_date),
          },
        ];
      },
    });

    plugin.query({
      type: DOMAIN_INFO,
      name: 'domains',
      async answer({ domain }, { signal, ctx }) {
        const body = await client.get(ctx.http, `domains/${encodeURIComponent(domain.replace(/\.$/, ''))}`, ctx.secret(ctx.config.apiKeyEnv), signal);
        if (body === undefined) return [];
        const { attributes } = parse(domainSchema, body, 'domain object').data;
        if (!analysed(attributes.last_analysis_stats)) return [];
        const { verdict } = tally(attributes.last_analysis_stats, ctx.config.maliciousThreshold);
        return [{ value: { reputation: domainReputation(verdict) }, observedAt: observedAt(attributes.last_analysis_date) }];
      },
    });
  },
});
