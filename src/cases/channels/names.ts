// Slack channel names for cases: `case-<number>-<slug of the title>`, lower-case letters, digits, - and _ only,
// at most 80 characters (shared/contracts/EXTERNAL_APIS.md 2.6). A name Slack says is taken gets -2, -3, ...
export const MAX_CHANNEL_NAME = 80;

/** The title as Slack-legal words: accents dropped, anything else a single dash, no dash at either end. */
export function slugOf(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

/** The n-th name tried for a case's channel (n = 1: no suffix). The suffix always fits: the slug is cut first. */
export function caseChannelName(number: number, title: string, n = 1): string {
  const head = `case-${number}`;
  const suffix = n > 1 ? `-${n}` : '';
  const room = MAX_CHANNEL_NAME - head.length - suffix.length - 1;
  const slug = slugOf(title).slice(0, Math.max(0, room)).replace(/[-_]+$/, '');
  return `${head}${slug ? `-${slug}` : ''}${suffix}`;
}
