// The logger: pino, JSON lines, with tokens and secrets redacted wherever they appear in a logged object.
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

export function createLogger(level: string, destination?: { write(line: string): void }): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'taser' } },
    destination ?? process.stdout,
  );
}
