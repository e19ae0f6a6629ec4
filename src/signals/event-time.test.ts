import { describe, expect, it } from 'vitest';
import { eventTimeMicros, parseEventTime, parseEventTimeMicros, patternEventTime } from './event-time.js';
import { prng } from '../../test/support/prng.js';

describe('eventTimeMicros date arithmetic', () => {
  it('gives Date.parse for every day from 1600 to 2400 (century leap rules, month lengths), and rejects days that do not exist', () => {
    const bad: string[] = [];
    for (let ms = Date.UTC(1600, 0, 1, 13, 7, 9, 250); ms < Date.UTC(2400, 11, 31); ms += 86_400_000) {
      const iso = new Date(ms).toISOString();
      if (eventTimeMicros(iso) !== ms * 1000) bad.push(iso);
      const offset = iso.replace('Z', '-05:30');
      if (eventTimeMicros(offset) !== Date.parse(offset) * 1000) bad.push(offset);
    }
    for (const iso of ['1900-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2023-04-31T00:00:00Z']) if (eventTimeMicros(iso) !== undefined) bad.push(iso);
    for (const iso of ['2000-02-29T00:00:00Z', '2400-02-29T00:00:00Z', '2024-12-31T23:59:59.999999Z']) if (eventTimeMicros(iso) === undefined) bad.push(iso);
    expect(bad).toEqual([]);
  });

  it('follows the date when timestamps go back and forth between days (the day number is kept from the call before)', () => {
    const texts = ['2026-01-05T23:59:59.999Z', '2026-01-06T00:00:00Z', '2026-01-05T00:00:00+01:00', '2025-01-05T12:00:00Z', '2026-01-05T12:00:00Z', '2026-02-05T12:00:00Z', '2026-01-05T12:00:01Z'];
    expect(texts.map((t) => eventTimeMicros(t))).toEqual(texts.map((t) => Date.parse(t) * 1000));
  });
});

/** Shapes around a real instant, valid or not: every one must get the same answer from both paths. */
const variants = (iso: string) => [
  iso,
  iso.replace('.000Z', 'Z'),
  iso.replace('Z', '+02:00'),
  iso.replace('Z', '-11:30'),
  iso.replace('Z', '+0200'),
  iso.replace('Z', '+24:00'),
  iso.replace('Z', 'z'),
  iso.replace('T', 't'),
  iso.replace('.000Z', '.1Z'),
  iso.replace('.000Z', '.123456Z'),
  iso.replace('.000Z', '.1234569Z'),
  iso.replace('.000Z', '.9999999Z'),
  iso.replace('.000Z', '.Z'),
  iso.slice(0, 16) + 'Z',
  iso.replace(/-\d\dT/, '-31T'),
  iso.replace(/-\d\dT/, '-30T'),
  iso.replace(/^\d{4}-\d\d/, '2024-02').replace(/-\d\dT/, '-29T'),
  iso.replace(/^\d{4}-\d\d/, '2023-02').replace(/-\d\dT/, '-29T'),
  iso.replace(/T\d\d/, 'T24'),
  iso.replace(/:\d\d\./, ':60.'),
  iso.replace(/^\d{4}/, '1969'),
  iso.replace(/^\d{4}/, '0099'),
  iso.replace(/^\d/, 'x'),
  `${iso} `,
];
const instants = (seed: number) => {
  const random = prng(seed);
  return Array.from({ length: 2_000 }, () => new Date(Math.floor(random() * 4_102_444_800_000)).toISOString());
};

describe('the arithmetic against the general path (pattern and Date.parse)', () => {
  it('eventTimeMicros agrees with parseEventTimeMicros on every shape, valid or not (its fast path is only a shortcut)', () => {
    for (const iso of instants(11)) for (const text of variants(iso)) expect(eventTimeMicros(text), text).toBe(parseEventTimeMicros(text));
  });

  it('parseEventTime agrees with patternEventTime on every shape, valid or not', () => {
    for (const iso of instants(12)) for (const text of variants(iso)) expect(parseEventTime(text), text).toBe(patternEventTime(text));
  });
});
