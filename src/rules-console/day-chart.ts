// The simulator's alerts per day as an inline SVG bar chart, rendered on the server (no script, no CDN): one
// bar per UTC day of the period, zero days included, with the busiest day's count and the first and last day.
const W = 640;
const H = 160;
const PAD = { left: 36, right: 8, top: 12, bottom: 24 };
const MAX_BARS = 400;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function dayChartSvg(perDay: Record<string, number>, since: Date, until: Date): string {
  const days: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let t = first; t <= until.getTime() && days.length < MAX_BARS; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  const max = Math.max(1, ...days.map((d) => perDay[d] ?? 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, days.length);
  const bars = days
    .map((d, i) => {
      const n = perDay[d] ?? 0;
      const h = (n / max) * plotH;
      return `<rect x="${(PAD.left + i * step + step * 0.1).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${Math.max(1, step * 0.8).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(d)}: ${n}</title></rect>`;
    })
    .join('');
  const label = (x: number, y: number, text: string, anchor = 'start') => `<text x="${x}" y="${y}" text-anchor="${anchor}">${esc(text)}</text>`;
  return (
    `<svg class="day-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="alerts per day">` +
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="currentColor"/>` +
    `<g fill="#4a7bd0">${bars}</g>` +
    `<g font-size="11" fill="currentColor">${label(PAD.left - 4, PAD.top + 8, String(max), 'end')}${label(PAD.left - 4, PAD.top + plotH, '0', 'end')}` +
    `${days.length ? label(PAD.left, H - 6, days[0]!) + label(W - PAD.right, H - 6, days[days.length - 1]!, 'end') : ''}</g></svg>`
  );
}
