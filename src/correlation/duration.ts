// Durations in rules: "90s", "15m", "4h", "4 Hours", "36 hours", "2d", "1 week", "500ms", or a number of
// milliseconds. A string without a unit is refused: "90" could mean seconds or minutes.
const UNITS: [RegExp, number][] = [
  [/^(ms|msecs?|milliseconds?)$/, 1],
  [/^(s|secs?|seconds?)$/, 1000],
  [/^(m|mins?|minutes?)$/, 60_000],
  [/^(h|hrs?|hours?)$/, 3_600_000],
  [/^(d|days?)$/, 86_400_000],
  [/^(w|weeks?)$/, 604_800_000],
];

export function parseDuration(value: unknown): number | { error: string } {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value > 0 ? value : { error: `must be a positive number of milliseconds (found ${value})` };
  }
  if (typeof value !== 'string') return { error: `must be a duration such as "15m", "4 hours" or "2d" (found ${JSON.stringify(value)})` };
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
  if (!match) return { error: `must be a duration such as "15m", "4 hours" or "2d" (found ${JSON.stringify(value)})` };
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  const factor = UNITS.find(([re]) => re.test(unit))?.[1];
  if (factor === undefined) return { error: `unknown unit "${match[2]}" in ${JSON.stringify(value)} (use ms, s, m, h, d or w)` };
  const ms = amount * factor;
  if (!(ms > 0)) return { error: `must be longer than zero (found ${JSON.stringify(value)})` };
  return Math.round(ms);
}
