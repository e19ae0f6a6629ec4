import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('rule durations', () => {
  it('reads the forms of SEMANTICS.md', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(15 * 60_000);
    expect(parseDuration('4h')).toBe(4 * 3_600_000);
    expect(parseDuration('4 Hours')).toBe(4 * 3_600_000);
    expect(parseDuration('36 hours')).toBe(36 * 3_600_000);
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
  });

  it('reads other spellings of the same units', () => {
    expect(parseDuration('1 hour')).toBe(3_600_000);
    expect(parseDuration(' 30 MINUTES ')).toBe(1_800_000);
    expect(parseDuration('45 secs')).toBe(45_000);
    expect(parseDuration('1 day')).toBe(86_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });

  it('takes a number as milliseconds', () => {
    expect(parseDuration(14_400_000)).toBe(14_400_000);
    expect(parseDuration(1)).toBe(1);
  });

  it('refuses what it cannot read, saying why', () => {
    expect(parseDuration('90')).toEqual({ error: expect.stringContaining('"90"') }); // seconds or minutes?
    expect(parseDuration('4 parsecs')).toEqual({ error: expect.stringContaining('unknown unit "parsecs"') });
    expect(parseDuration('0s')).toEqual({ error: expect.stringContaining('longer than zero') });
    expect(parseDuration(0)).toEqual({ error: expect.stringContaining('positive') });
    expect(parseDuration(-5)).toEqual({ error: expect.stringContaining('positive') });
    expect(parseDuration(Number.NaN)).toEqual({ error: expect.any(String) });
    expect(parseDuration('-1h')).toEqual({ error: expect.any(String) });
    expect(parseDuration('')).toEqual({ error: expect.any(String) });
    expect(parseDuration(null)).toEqual({ error: expect.any(String) });
    expect(parseDuration('1h30m')).toEqual({ error: expect.any(String) });
  });
});
