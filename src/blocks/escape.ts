// Slack mrkdwn escaping for text that comes from outside (signal fields, user input). Escaping & < > is what
// stops `<!channel>` or `<@U123>` in an attacker-controlled field from pinging anyone or forming a link.
// https://docs.slack.dev/messaging/formatting-message-text#escaping

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A mrkdwn link `<url|label>`; the label is escaped, and a URL that would break the syntax is refused. */
export function mrkdwnLink(url: string, label: string): string {
  if (!/^https?:\/\/[^\s<>|]+$/i.test(url)) return escapeMrkdwn(label);
  return `<${url}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}
