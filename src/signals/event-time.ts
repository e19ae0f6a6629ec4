// Event times: the Signal's `occurredAt` (ISO-8601 with an offset or Z) as epoch milliseconds or microseconds. One
// parser for ingestion, the store, the console and the engine: arithmetic for the common shape, the pattern and
// Date.parse for anything else.

/** Epoch milliseconds of an ISO-8601 timestamp with offset, or undefined when it is not one or names no real instant. */
export function parseEventTime(value: string): number | undefined {
  const micros = eventTimeMicros(value);
  return micros === undefined ? undefined : Math.floor(micros / 1000);
}

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const two = (text: string, i: number) => digit(text, i) * 10 + digit(text, i + 1);

/**
 * Event time in integer microseconds since the epoch (exact: below 2^53 until the year 2255), keeping the
 * sub-millisecond digits that EDR and IDS events carry, so ordering and window edges are exact; undefined when the
 * text is not an ISO-8601 timestamp with an offset or names no real instant. The common shape
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" by arithmetic (the regex and Date.parse were a tenth of the engine's
 * time, and 3-9 µs a signal of ingestion before they are compiled); anything else by the general path.
 */
export function eventTimeMicros(text: string): number | undefined {
  const len = text.length;
  if (len < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return parseEventTimeMicros(text);
  }
  const year = two(text, 0) * 100 + two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  let i = 19;
  let ms = 0;
  let micros = 0;
  if (text.charCodeAt(i) === 46) {
    let digits = 0;
    for (i++; i < len; i++, digits++) {
      const c = digit(text, i);
      if (Number.isNaN(c)) break;
      if (digits < 3) ms = ms * 10 + c;
      else if (digits < 6) micros = micros * 10 + c;
    }
    if (digits === 0) return parseEventTimeMicros(text);
    for (; digits < 3; digits++) ms *= 10;
    for (let d = Math.max(digits, 3); d < 6; d++) micros *= 10;
  }
  let offsetMinutes: number;
  if (i === len - 1 && text.charCodeAt(i) === 90) offsetMinutes = 0;
  else if (i === len - 6 && text.charCodeAt(i + 3) === 58 && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) {
    const oh = two(text, i + 1);
    const om = two(text, i + 4);
    if (!(oh <= 23 && om <= 59)) return parseEventTimeMicros(text);
    offsetMinutes = (text.charCodeAt(i) === 43 ? 1 : -1) * (oh * 60 + om);
  } else return parseEventTimeMicros(text);
  // NaN fails every comparison: a non-digit anywhere lands here too.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) return parseEventTimeMicros(text);
  if (day > 28 && day > daysInMonth(year, month)) return undefined;
  // A stream's timestamps mostly share their date with the one before: its day number is kept.
  if (year !== lastDate.year || month !== lastDate.month || day !== lastDate.day) {
    lastDate.year = year;
    lastDate.month = month;
    lastDate.day = day;
    lastDate.days = daysFromCivil(year, month, day);
  }
  const seconds = ((lastDate.days * 24 + hour) * 60 + minute - offsetMinutes) * 60 + second;
  return (seconds * 1000 + ms) * 1000 + micros;
}

const lastDate = { year: 0, month: 0, day: 0, days: 0 };
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (y: number, m: number) => (m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; arithmetic, no Date call). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

// ISO-8601 date-time with an explicit offset or Z. Date.parse alone accepts too much ("2017-09-31" rolls over).
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** parseEventTime by pattern and Date.parse: the general path, for any shape the arithmetic below does not take. */
export function patternEventTime(value: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** eventTimeMicros by the general path (the tests hold the arithmetic to it). */
export function parseEventTimeMicros(value: string): number | undefined {
  const ms = patternEventTime(value);
  if (ms === undefined) return undefined;
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const micros = Number(fraction.slice(3, 6).padEnd(3, '0'));
  return Math.floor(ms) * 1000 + micros;
}

