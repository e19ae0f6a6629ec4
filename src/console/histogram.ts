// The search page's histogram: matches per time bucket, drawn on the server as inline SVG (no chart library,
// no script). Buckets snap to a round width (minutes, hours, days) so the axis reads well.
const WIDTHS_MS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];
const MAX_BUCKETS = 60;

export interface Histogram {
  from: Date;
  widthMs: number;
  counts: number[];
  total: number;
}

/** Round buckets over [lo, hi]: their start, width and the edges between them (count - 1 of them). */
export function bucketsOver(lo: Date, hi: Date): { from: Date; widthMs: number; inner: Date[] } {
  const l = lo.getTime();
  const h = Math.max(hi.getTime(), l + 1);
  const widthMs = WIDTHS_MS.find((w) => (h - l) / w <= MAX_BUCKETS) ?? Math.ceil((h - l) / MAX_BUCKETS);
  const start = Math.floor(l / widthMs) * widthMs;
  const count = Math.floor((h - start) / widthMs) + 1;
  return { from: new Date(start), widthMs, inner: Array.from({ length: count - 1 }, (_, i) => new Date(start + (i + 1) * widthMs)) };
}

/**
 * Every match counted per bucket over [from, to] (without them: the matches' own span, `span()`), by `count`,
 * which gets the edges between the buckets and returns one count per bucket, the first and last open-ended
 * (src/store/time-buckets.ts). Undefined when nothing matches and no range was given.
 */
export async function countHistogram(range: { from?: Date; to?: Date }, span: () => Promise<{ oldest: Date; newest: Date } | undefined>, count: (inner: Date[]) => Promise<number[]>): Promise<Histogram | undefined> {
  let { from, to } = range;
  if (!from || !to) {
    const ends = await span();
    if (!ends) return undefined;
    from ??= ends.oldest;
    to ??= ends.newest;
  }
  const buckets = bucketsOver(from, to);
  const counts = await count(buckets.inner);
  return { from: buckets.from, widthMs: buckets.widthMs, counts, total: counts.reduce((a, b) => a + b, 0) };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function label(d: Date, widthMs: number): string {
  const iso = d.toISOString();
  return widthMs >= 86_400_000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/**
 * The SVG, each bar a link that narrows the search to its bucket (`link(from, to)` gives the URL). Built
 * from numbers and escaped strings only, so it can go into the page unescaped.
 */
export function histogramSvg(h: Histogram, link: (from: Date, to: Date) => string): string {
  const W = 1000;
  const H = 120;
  const top = 8;
  const bottom = 18;
  const max = Math.max(1, ...h.counts);
  const bw = W / h.counts.length;
  const bars = h.counts
    .map((count, i) => {
      const from = new Date(h.from.getTime() + i * h.widthMs);
      const to = new Date(from.getTime() + h.widthMs - 1);
      const height = count === 0 ? 0 : Math.max(1, Math.round(((H - top - bottom) * count) / max));
      const x = (i * bw).toFixed(1);
      const title = `${label(from, h.widthMs)}: ${count}`;
      return `<a href="${esc(link(from, to))}"><rect class="bar" x="${x}" y="${H - bottom - height}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${height}"><title>${esc(title)}</title></rect></a>`;
    })
    .join('');
  const ticks = [0, Math.floor(h.counts.length / 2), h.counts.length - 1]
    .filter((v, i, a) => a.indexOf(v) === i)
    .map((i, n, all) => {
      const anchor = n === 0 ? 'start' : n === all.length - 1 ? 'end' : 'middle';
      const x = n === all.length - 1 ? W : (i * bw).toFixed(1);
      return `<text x="${x}" y="${H - 4}" text-anchor="${anchor}">${esc(label(new Date(h.from.getTime() + i * h.widthMs), h.widthMs))}</text>`;
    })
    .join('');
  return (
    `<svg class="histogram" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="matches over time, max ${max} per bucket">` +
    `<line class="axis" x1="0" y1="${H - bottom}" x2="${W}" y2="${H - bottom}"/>${bars}${ticks}<text x="${W}" y="${top + 2}" text-anchor="end">max ${max}</text></svg>`
  );
}
