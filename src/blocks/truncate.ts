// Truncation that never produces a broken string: it cuts at grapheme boundaries (no half emoji, no half
// surrogate pair, no orphaned combining mark), never inside an `&amp;`-style entity or a `<...>` token, and
// ends with "…".
// Lengths are JavaScript string lengths (UTF-16 code units): never less than Slack's character count, so a
// string that fits here fits in Slack.

const ELLIPSIS = '…';
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, max);
  const budget = max - ELLIPSIS.length;
  let out = '';
  for (const { segment } of segmenter.segment(text)) {
    if (out.length + segment.length > budget) break;
    out += segment;
  }
  // Do not leave half an HTML entity (our escaping produces &amp; &lt; &gt;).
  out = out.replace(/&[a-z]{0,3}$/i, '');
  // Nor half a Slack token (<url|label>, <!date^...>, <@U123>): user text has its < escaped, so an unclosed
  // < here is one of ours, and a broken one would show raw syntax or swallow the ellipsis.
  const open = out.lastIndexOf('<');
  if (open > out.lastIndexOf('>')) out = out.slice(0, open);
  return out + ELLIPSIS;
}
