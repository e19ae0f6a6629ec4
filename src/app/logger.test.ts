import { describe, expect, it } from 'vitest';
import { createLogger, redactUri } from './logger.js';

describe('logger', () => {
  it('redacts tokens and secrets wherever they are logged', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) });
    logger.info({ token: 'xoxb-1', config: { signingSecret: 's1', botToken: 'xoxb-2' }, headers: { authorization: 'Bearer abc' }, source: { auth: { secret: 'hmac' } } }, 'x');
    const out = lines.join('');
    for (const secret of ['xoxb-1', 's1', 'xoxb-2', 'Bearer abc', '"hmac"']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('strips credentials from connection strings', () => {
    expect(redactUri('mongodb://user:pa55@db:27017/taser')).toBe('mongodb://***@db:27017/taser');
  });
});
