// The Home tab and the mention reply as Block Kit, built from plain data so a test can read them.
import type { View } from '@slack/types';
import type { SlackBlock } from '../../src/plugins/types.js';
import { escapeMrkdwn, mrkdwnLink } from '../../src/blocks/escape.js';

export interface HomeAlert {
  title: string;
  severity: string;
  team?: string;
  firstSeen: Date;
  signals: number;
  link?: string;
}

export interface HomeCase {
  number: number;
  title: string;
  severity: string;
  team?: string;
  createdAt: Date;
  alerts: number;
  link?: string;
}

export interface HomeData {
  userId: string;
  /** Open cases assigned to this person, newest first. */
  cases: HomeCase[];
  moreCases: boolean;
  /** Alerts this person acknowledged that are not closed. */
  mine: HomeAlert[];
  /** Open alerts nobody has acknowledged yet, newest first. */
  waiting: HomeAlert[];
  moreWaiting: boolean;
  commands: { usage: string; description: string }[];
  helpUrl?: string;
}

const ABOUT =
  'taser collects security signals from your tools, correlates them into the few alerts that matter, and posts ' +
  'each alert as a card in its team\'s channel, where you acknowledge, snooze, close it, or look up its artifacts. ' +
  '`/positron` asks every data source a standard question (who has this IP, who is this user).';

const section = (text: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } });
const header = (text: string): SlackBlock => ({ type: 'header', text: { type: 'plain_text', text: text.slice(0, 150) } });

function alertLine(a: HomeAlert): string {
  const title = escapeMrkdwn(a.title);
  const named = a.link ? mrkdwnLink(a.link, a.title) : title;
  const when = `<!date^${Math.floor(a.firstSeen.getTime() / 1000)}^{date_short_pretty} {time}|${a.firstSeen.toISOString()}>`;
  return `• *${escapeMrkdwn(a.severity)}* ${named}${a.team ? ` (${escapeMrkdwn(a.team)})` : ''}: ${a.signals} signal(s) since ${when}`;
}

function caseLine(c: HomeCase): string {
  const name = `#${c.number} ${c.title}`;
  const named = c.link ? mrkdwnLink(c.link, name) : escapeMrkdwn(name);
  const when = `<!date^${Math.floor(c.createdAt.getTime() / 1000)}^{date_short_pretty}|${c.createdAt.toISOString()}>`;
  return `• *${escapeMrkdwn(c.severity)}* ${named}${c.team ? ` (${escapeMrkdwn(c.team)})` : ''}: ${c.alerts} alert(s), opened ${when}`;
}

export function homeView(data: HomeData): View {
  const blocks: SlackBlock[] = [header('taser'), section(ABOUT), { type: 'divider' }, header('Your alerts')];
  blocks.push(
    section(
      data.mine.length
        ? data.mine.map(alertLine).join('\n')
        : 'You have no acknowledged alerts that are still open. Alerts you acknowledge on a card appear here until they are closed.',
    ),
  );
  blocks.push(header('Your cases'));
  blocks.push(
    section(
      data.cases.length
        ? `${data.cases.map(caseLine).join('\n')}${data.moreCases ? `\n…and more: \`/case list mine\` lists them.` : ''}`
        : 'No open case is assigned to you. `/case assign N me` takes one.',
    ),
  );
  blocks.push(header('Waiting for someone'));
  blocks.push(
    section(
      data.waiting.length
        ? `${data.waiting.map(alertLine).join('\n')}${data.moreWaiting ? '\n…and more: `/taser alerts` lists them.' : ''}`
        : 'No open alert is waiting to be acknowledged.',
    ),
  );
  blocks.push({ type: 'divider' }, header('Help'));
  const commands = data.commands.map((c) => `• \`${escapeMrkdwn(c.usage)}\`: ${escapeMrkdwn(c.description)}`).join('\n');
  blocks.push(section(commands ? `Commands you may run:\n${commands}` : 'No command is available to you.'));
  if (data.helpUrl) blocks.push(section(`Your team's guide: ${mrkdwnLink(data.helpUrl, data.helpUrl)}`));
  return { type: 'home', blocks };
}

export function mentionReply(data: { userId?: string; commands: string[]; helpUrl?: string }): { text: string; blocks: SlackBlock[] } {
  const greeting = data.userId ? `Hi <@${data.userId}>! ` : '';
  const commands = data.commands.length ? `You can run ${data.commands.map((c) => `\`${escapeMrkdwn(c)}\``).join(', ')}.` : '';
  const guide = data.helpUrl ? ` Your team's guide: ${mrkdwnLink(data.helpUrl, data.helpUrl)}.` : '';
  const text = `${greeting}I post security alerts as cards and answer \`/positron\` questions; I do not read chat. ${commands}${guide} My Home tab shows your alerts.`;
  return { text, blocks: [section(text)] };
}
