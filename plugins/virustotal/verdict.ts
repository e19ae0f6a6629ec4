// VirusTotal's per-engine tally (`last_analysis_stats`) turned into one verdict. A single engine flagging a
// file is a common false positive, so below `maliciousThreshold` detections count as suspicious, not malicious.
import { z } from 'zod';

/** e.g. { malicious: 3, suspicious: 0, undetected: 60, harmless: 0, timeout: 1, "type-unsupported": 8, ... } */
export const analysisStatsSchema = z.record(z.string(), z.number().int().nonnegative());
export type AnalysisStats = z.infer<typeof analysisStatsSchema>;

export type Verdict = 'malicious' | 'suspicious' | 'harmless' | 'undetected';

export interface Tally {
  verdict: Verdict;
  detections: number;
  engines: number;
}

export function tally(stats: AnalysisStats, maliciousThreshold: number): Tally {
  const malicious = stats.malicious ?? 0;
  const suspicious = stats.suspicious ?? 0;
  const harmless = stats.harmless ?? 0;
  const engines = Object.values(stats).reduce((sum, n) => sum + n, 0);
  const verdict: Verdict =
    malicious >= maliciousThreshold ? 'malicious' : malicious > 0 || suspicious > 0 ? 'suspicious' : harmless > 0 ? 'harmless' : 'undetected';
  return { verdict, detections: malicious, engines };
}

/** DOMAIN_INFO says "unknown" where a file would be "undetected": no engine has an opinion. */
export function domainReputation(verdict: Verdict): 'malicious' | 'suspicious' | 'harmless' | 'unknown' {
  return verdict === 'undetected' ? 'unknown' : verdict;
}
