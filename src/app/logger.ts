// The logger: pino, JSON lines (or one readable line each for a terminal: LOG_FORMAT=pretty), with tokens and
// secrets redacted wherever they appear in a logged object.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'token', '*.token', '*.*.token',
  'botToken', '*.botToken', 'appToken', '*.appToken',
  'signingSecret', '*.signingSecret', 'secret', '*.secret', '*.*.secret',
  'password', '*.password', 'apiKey', '*.apiKey', '*.*.apiKey',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers["x-slack-signature"]', 'mongodbUri', '*.mongodbUri',
];

/** Strips user:password from a connection string before it is logged or shown. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

export type LogFormat = 'json' | 'pretty';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'app', 'msg', 'plugin', 'component']);

/** One JSON log line as a terminal line: `12:00:01.234 WARN  [okta] message key=value`, with an error's stack below. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[o.level as number] ?? String(o.level);
  const tag = o.plugin ?? o.component;
  const fields = Object.entries(o)
    .filter(([k]) => !HIDDEN.has(k) && k !== 'err')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  const err = o.err as { stack?: string; message?: string } | undefined;
  const stack = err ? `\n    ${(err.stack ?? err.message ?? '').split('\n').join('\n    ')}` : '';
  return `${time} ${level} ${tag ? `[${String(tag)}] ` : ''}${String(o.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}${stack}\n`;
}

export function createLogger(level: string, destination?: { write(line: string): void }, format: LogFormat = 'json'): Logger {
  const out = destination ?? process.stdout;
  const sink = format === 'pretty' ? { write: (line: string) => void out.write(prettyLine(line)) } : out;
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'taser' } }, sink);
}
