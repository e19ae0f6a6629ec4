// The parts of an Okta System Log LogEvent the mapper reads, and Okta's two encodings of risk behaviours.
// Everything but uuid, published and eventType is optional and may be null: real events omit a lot.
import { z } from 'zod';

const geo = z
  .looseObject({
    city: z.string().nullish(),
    state: z.string().nullish(),
    country: z.string().nullish(),
  })
  .nullish();

const ipChainEntry = z.looseObject({ ip: z.string().nullish(), geographicalContext: geo });
const ipChain = z.array(ipChainEntry).nullish();

export const logEventSchema = z.looseObject({
  uuid: z.string().min(1),
  published: z.string(),
  eventType: z.string().min(1),
  severity: z.string().nullish(),
  displayMessage: z.string().nullish(),
  actor: z.looseObject({ type: z.string().nullish(), alternateId: z.string().nullish(), displayName: z.string().nullish() }).nullish(),
  target: z.array(z.looseObject({ type: z.string().nullish(), alternateId: z.string().nullish(), displayName: z.string().nullish() })).nullish(),
  client: z.looseObject({ ipAddress: z.string().nullish(), geographicalContext: geo, ipChain }).nullish(),
  request: z.looseObject({ ipChain }).nullish(),
  outcome: z.looseObject({ result: z.string().nullish(), reason: z.string().nullish() }).nullish(),
  debugContext: z.looseObject({ debugData: z.record(z.string(), z.unknown()).nullish() }).nullish(),
});
export type LogEvent = z.infer<typeof logEventSchema>;

/**
 * Okta's `{k=v, k=v}` strings (debugData.behaviors, debugData.risk). A value may itself contain ", "
 * ("reasons=Anomalous Location, Anomalous Device"): a piece without "=" belongs to the previous value.
 */
export function parseBraceMap(text: string): Record<string, string> {
  const inner = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const piece of inner.split(', ')) {
    const eq = piece.indexOf('=');
    if (eq > 0) {
      last = piece.slice(0, eq).trim();
      out[last] = piece.slice(eq + 1).trim();
    } else if (last !== undefined) {
      out[last] += `, ${piece}`;
    }
  }
  return out;
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{"') || text === '{}') {
      try {
        return stringRecord(JSON.parse(text) as unknown);
      } catch {
        return {};
      }
    }
    return parseBraceMap(text);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  return {};
}

/** The JSON string `logOnlySecurityData` ({risk: {...}, behaviors: {...}}), or {} when absent or not JSON. */
function securityData(debugData: Record<string, unknown>): { risk?: unknown; behaviors?: unknown } {
  const raw = debugData.logOnlySecurityData;
  if (typeof raw === 'object' && raw !== null) return raw as { risk?: unknown; behaviors?: unknown };
  if (typeof raw !== 'string') return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { risk?: unknown; behaviors?: unknown }) : {};
  } catch {
    return {};
  }
}

export interface RiskContext {
  /** Behaviour name -> POSITIVE / NEGATIVE / ..., from either encoding. */
  behaviors: Record<string, string>;
  /** LOW / MEDIUM / HIGH, upper-cased, when Okta rated the request. */
  riskLevel?: string;
  riskReasons?: string;
}

/** Behaviours and risk from `debugData.behaviors` / `debugData.risk` ({k=v} strings) or `logOnlySecurityData` (JSON). */
export function riskContext(event: LogEvent): RiskContext {
  const debugData = event.debugContext?.debugData ?? {};
  const security = securityData(debugData);
  const behaviors = { ...stringRecord(security.behaviors), ...stringRecord(debugData.behaviors) };
  const risk = { ...stringRecord(security.risk), ...stringRecord(debugData.risk) };
  return {
    behaviors,
    riskLevel: risk.level?.toUpperCase(),
    riskReasons: risk.reasons,
  };
}

export function isNewGeoLocation(context: RiskContext): boolean {
  return context.behaviors['New Geo-Location']?.toUpperCase() === 'POSITIVE';
}
