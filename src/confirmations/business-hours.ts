// Deadlines that count business hours only, as securitybot did: a timezone (IANA, through Intl, so daylight
// saving changes are the timezone database's), working days, working hours, and a holidays list. Pure
// functions: the flow stores the deadline they compute and schedules a job for it.
import { z } from 'zod';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as "09:00"');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as "2026-12-25"');

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const businessHoursSchema = z
  .strictObject({
    timezone: z.string().refine(validTimezone, 'an IANA timezone such as "Europe/Amsterdam"'),
    days: z.array(z.enum(WEEKDAYS)).min(1, 'at least one working day').default(['mon', 'tue', 'wed', 'thu', 'fri']),
    start: clock.default('09:00'),
    end: clock.default('17:00'),
    holidays: z.array(day).max(1000).default([]),
  })
  .refine((b) => b.start < b.end, { message: 'start must be before end', path: ['end'] });
export type BusinessHours = z.output<typeof businessHoursSchema>;

interface LocalDate {
  y: number;
  m: number; // 1-12
  d: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a timezone. */
function wall(instant: number, tz: string): LocalDate & { h: number; mi: number; s: number } {
  const parts = Object.fromEntries(formatter(tz).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), h: Number(parts.hour), mi: Number(parts.minute), s: Number(parts.second) };
}

/** How far the timezone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(instant: number, tz: string): number {
  const w = wall(instant, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(instant / 1000) * 1000;
}

/** The instant a wall-clock time happens in a timezone (in a DST gap: the time after the gap). */
export function zonedTime(date: LocalDate, hhmm: string, tz: string): Date {
  const [h, mi] = hhmm.split(':').map(Number) as [number, number];
  const asUtc = Date.UTC(date.y, date.m - 1, date.d, h, mi);
  const first = asUtc - offsetAt(asUtc, tz);
  return new Date(asUtc - offsetAt(first, tz));
}

const iso = (d: LocalDate) => `${d.y}-${String(d.m).padStart(2, '0')}-${String(d.d).padStart(2, '0')}`;
const nextDay = (d: LocalDate): LocalDate => {
  const t = new Date(Date.UTC(d.y, d.m - 1, d.d + 1));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};
const weekday = (d: LocalDate): Weekday => WEEKDAYS[new Date(Date.UTC(d.y, d.m - 1, d.d)).getUTCDay()]!;

/** Ten years of days without a working hour is a configuration no one meant (every day a holiday). */
const MAX_DAYS = 3660;

/** `start` plus `ms` of working time: time outside working hours, on days off and holidays does not count. */
export function addBusinessTime(start: Date, ms: number, hours: BusinessHours): Date {
  const holidays = new Set(hours.holidays);
  const working = new Set(hours.days);
  let remaining = ms;
  let cursor = start.getTime();
  let date: LocalDate = wall(cursor, hours.timezone);
  for (let i = 0; i < MAX_DAYS; i++, date = nextDay(date)) {
    if (!working.has(weekday(date)) || holidays.has(iso(date))) continue;
    const open = zonedTime(date, hours.start, hours.timezone).getTime();
    const close = zonedTime(date, hours.end, hours.timezone).getTime();
    const from = Math.max(cursor, open);
    if (from >= close) continue;
    if (from + remaining <= close) return new Date(from + remaining);
    remaining -= close - from;
    cursor = close;
  }
  throw new Error('business hours: no working time in the next ten years (every day a holiday or day off?)');
}

/** The deadline of a step: plain time, or business time when the flow counts business hours only. */
export function deadlineAfter(start: Date, ms: number, hours: BusinessHours | undefined): Date {
  return hours ? addBusinessTime(start, ms, hours) : new Date(start.getTime() + ms);
}
