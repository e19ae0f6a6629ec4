import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine, redactUri } from './logger.js';

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

  it('writes one readable line per entry for a terminal, still redacted', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) }, 'pretty');
    logger.child({ plugin: 'okta' }).warn({ attempt: 2, token: 'xoxb-1', note: 'two words' }, 'poll failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  \[okta\] poll failed attempt=2 token=\[redacted\] note="two words"\n$/);
    const withError = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'x', stack: 'Error: x\n    at f' } }));
    expect(withError).toBe('00:00:00.000 ERROR boom\n    Error: x\n        at f\n');
  });
});
