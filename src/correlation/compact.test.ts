import { describe, expect, it } from 'vitest';
import { CompactParseError, parseCompact } from './compact.js';

describe('the compact rule form', () => {
  it('parses the example of the original design', () => {
    expect(parseCompact('[( 1 SSO login from a new location) + ( 2 failed Duo pushes) ] IN [ 4 Hours ] WITH [ username ] IN COMMON')).toEqual({
      parts: [
        { count: 1, type: 'SSO login from a new location' },
        { count: 2, type: 'failed Duo pushes' },
      ],
      window: '4 Hours',
      groupBy: ['username'],
      ordered: false,
    });
  });

  it('takes keywords in any case, spaces optional, several fields', () => {
    expect(parseCompact('[(1 a)+(2 b)] in [90s] with [user, host] in common')).toEqual({ parts: [{ count: 1, type: 'a' }, { count: 2, type: 'b' }], window: '90s', groupBy: ['user', 'host'], ordered: false });
  });

  it('reads THEN and -> as ordered parts, with or without spaces', () => {
    for (const expr of ['[(1 a) THEN (2 b) -> (1 c)] IN [1h]', '[(1 a)then(2 b)->(1 c)] IN [1h]']) {
      expect(parseCompact(expr)).toEqual({ parts: [{ count: 1, type: 'a' }, { count: 2, type: 'b' }, { count: 1, type: 'c' }], window: '1h', groupBy: [], ordered: true });
    }
  });

  it('means one group for all signals without a WITH clause, or with an empty one', () => {
    expect(parseCompact('[ (3 ids-alert) ] IN [ 36 hours ]').groupBy).toEqual([]);
    expect(parseCompact('[ (3 ids-alert) ] IN [ 36 hours ] WITH [ ] IN COMMON').groupBy).toEqual([]);
  });

  it('keeps words such as "then" inside a part as part of the type name', () => {
    expect(parseCompact('[(1 login then logout) + (1 b)] IN [1h]').parts).toEqual([{ count: 1, type: 'login then logout' }, { count: 1, type: 'b' }]);
  });

  it('refuses malformed expressions with a reason', () => {
    const reason = (expr: string) => {
      try {
        parseCompact(expr);
      } catch (err) {
        expect(err).toBeInstanceOf(CompactParseError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${expr}`);
    };
    expect(reason('(1 a) IN 4h')).toMatch(/expected "\[\(COUNT TYPE\)/);
    expect(reason('[(1 a)] IN [4h] WITH [user]')).toMatch(/expected/);
    expect(reason('[(1 a)] IN [4h] trailing words')).toMatch(/expected/);
    expect(reason('[(0 a)] IN [4h]')).toMatch(/part 1: the count must be an integer >= 1/);
    expect(reason('[(a)] IN [4h]')).toMatch(/part 1 "\(a\)"/);
    expect(reason('[(2 )] IN [4h]')).toMatch(/part 1/);
    expect(reason('[(1 a) (1 b)] IN [4h]')).toMatch(/part 1/);
    expect(reason('[(1 a) + ] IN [4h]')).toMatch(/part 2/);
    expect(reason('[(1 a) + (2 b) THEN (1 c)] IN [1h]')).toMatch(/mixes "\+"/);
    expect(reason('[(1 a] IN [4h]')).toMatch(/unbalanced|expected/);
    expect(reason('[(1 a)] IN [ ]')).toMatch(/needs a duration/);
    expect(reason('[(1 a)] IN [4h] WITH [user,] IN COMMON')).toMatch(/empty field name/);
  });
});
