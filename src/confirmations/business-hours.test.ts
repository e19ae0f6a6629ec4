import { describe, expect, it } from 'vitest';
import { addBusinessTime, businessHoursSchema, deadlineAfter, zonedTime } from './business-hours.js';

const H = 3_600_000;
const amsterdam = businessHoursSchema.parse({ timezone: 'Europe/Amsterdam' });

describe('business hours', () => {
  it('inside one working day: plain addition', () => {
    // Tue 2026-11-24 10:00 CET = 09:00Z
    expect(addBusinessTime(new Date('2026-11-24T09:00:00Z'), 4 * H, amsterdam).toISOString()).toBe('2026-11-24T13:00:00.000Z');
  });

  it('across a weekend: Friday 16:00 + 4 h is Monday 12:00', () => {
    // Fri 2026-11-27 16:00 CET = 15:00Z; one hour Friday, three Monday from 09:00 -> Mon 12:00 CET = 11:00Z
    expect(addBusinessTime(new Date('2026-11-27T15:00:00Z'), 4 * H, amsterdam).toISOString()).toBe('2026-11-30T11:00:00.000Z');
  });

  it('a start at night or on Saturday waits for the next opening', () => {
    expect(addBusinessTime(new Date('2026-11-28T12:00:00Z'), 1 * H, amsterdam).toISOString()).toBe('2026-11-30T09:00:00.000Z'); // Sat -> Mon 10:00 CET
    expect(addBusinessTime(new Date('2026-11-24T22:00:00Z'), 1 * H, amsterdam).toISOString()).toBe('2026-11-25T09:00:00.000Z'); // Tue 23:00 -> Wed 10:00 CET
  });

  it('skips holidays', () => {
    const withHoliday = businessHoursSchema.parse({ timezone: 'Europe/Amsterdam', holidays: ['2026-11-30'] });
    expect(addBusinessTime(new Date('2026-11-27T15:00:00Z'), 4 * H, withHoliday).toISOString()).toBe('2026-12-01T11:00:00.000Z');
  });

  it('across the spring DST change: the weekend before is CET, the Monday after is CEST', () => {
    // Amsterdam moves to CEST on Sun 2026-03-29. Fri 16:00 CET = 15:00Z; Mon 12:00 CEST = 10:00Z.
    expect(addBusinessTime(new Date('2026-03-27T15:00:00Z'), 4 * H, amsterdam).toISOString()).toBe('2026-03-30T10:00:00.000Z');
  });

  it('across the autumn DST change in New York', () => {
    const ny = businessHoursSchema.parse({ timezone: 'America/New_York', start: '08:00', end: '18:00' });
    // New York leaves EDT on Sun 2026-11-01. Fri Oct 30 17:00 EDT = 21:00Z; +3 h: 1 h Fri, 2 h Mon -> Mon 10:00 EST = 15:00Z.
    expect(addBusinessTime(new Date('2026-10-30T21:00:00Z'), 3 * H, ny).toISOString()).toBe('2026-11-02T15:00:00.000Z');
  });

  it('a working window that contains the DST jump is an hour shorter in real time', () => {
    const sundayNight = businessHoursSchema.parse({ timezone: 'Europe/Amsterdam', days: ['sun'], start: '01:00', end: '05:00' });
    // Sun 2026-03-29 01:00 CET = 00:00Z; 05:00 CEST = 03:00Z: only three real hours that night.
    expect(zonedTime({ y: 2026, m: 3, d: 29 }, '05:00', 'Europe/Amsterdam').toISOString()).toBe('2026-03-29T03:00:00.000Z');
    expect(addBusinessTime(new Date('2026-03-29T00:00:00Z'), 3 * H, sundayNight).toISOString()).toBe('2026-03-29T03:00:00.000Z');
    // A fourth hour spills into the next Sunday (CEST): 01:00 CEST = 23:00Z Saturday, + 1 h.
    expect(addBusinessTime(new Date('2026-03-29T00:00:00Z'), 4 * H, sundayNight).toISOString()).toBe('2026-04-05T00:00:00.000Z');
  });

  it('without business hours a deadline is plain time', () => {
    expect(deadlineAfter(new Date('2026-11-28T12:00:00Z'), H, undefined).toISOString()).toBe('2026-11-28T13:00:00.000Z');
  });

  it('refuses a bad configuration with a clear message', () => {
    const bad = businessHoursSchema.safeParse({ timezone: 'Mars/Olympus', start: '18:00', end: '09:00' });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toContain('timezone: an IANA timezone');
  });
});
