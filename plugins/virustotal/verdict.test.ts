import { describe, expect, it } from 'vitest';
import { domainReputation, tally } from './verdict.js';

describe('tally', () => {
  it.each([
    [{ malicious: 5, suspicious: 1, harmless: 10, undetected: 50 }, 2, 'malicious'],
    [{ malicious: 2, suspicious: 0, harmless: 0, undetected: 50 }, 2, 'malicious'],
    [{ malicious: 1, suspicious: 0, harmless: 10, undetected: 50 }, 2, 'suspicious'],
    [{ malicious: 1, suspicious: 0, harmless: 10, undetected: 50 }, 1, 'malicious'],
    [{ malicious: 0, suspicious: 3, harmless: 10, undetected: 50 }, 2, 'suspicious'],
    [{ malicious: 0, suspicious: 0, harmless: 10, undetected: 50 }, 2, 'harmless'],
    [{ malicious: 0, suspicious: 0, harmless: 0, undetected: 50, timeout: 2 }, 2, 'undetected'],
    [{ undetected: 3 }, 2, 'undetected'],
  ] as const)('%o with threshold %i is %s', (stats, threshold, verdict) => {
    expect(tally(stats, threshold).verdict).toBe(verdict);
  });

  it('counts detections as malicious engines and engines as the sum of every category', () => {
    expect(tally({ malicious: 3, suspicious: 1, undetected: 60, harmless: 0, timeout: 2, 'type-unsupported': 4 }, 2)).toEqual({ verdict: 'malicious', detections: 3, engines: 70 });
  });

  it('maps undetected to "unknown" for domains', () => {
    expect(domainReputation('undetected')).toBe('unknown');
    expect(domainReputation('suspicious')).toBe('suspicious');
  });
});
