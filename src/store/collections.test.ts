import { describe, expect, it } from 'vitest';
import { MongoServerError } from 'mongodb';
import { isSqliteBusy, retryOnSqliteBusy } from './collections.js';

// What the embedded FerretDB answered to a createIndexes in the bench (2026-12-01 14:55).
const busy = () =>
  new MongoServerError({
    ok: 0,
    code: 1,
    codeName: 'InternalError',
    errmsg: '[msg_createindexes.go:155 handler.(*Handler).MsgCreateIndexes] [registry.go:592 metadata.(*Registry).indexesCreate.func1] database is locked (5) (SQLITE_BUSY)',
  });

describe('retryOnSqliteBusy', () => {
  it('tells SQLITE_BUSY from other errors', () => {
    expect(isSqliteBusy(busy())).toBe(true);
    expect(isSqliteBusy(new MongoServerError({ ok: 0, code: 11000, errmsg: 'E11000 duplicate key' }))).toBe(false);
    expect(isSqliteBusy(undefined)).toBe(false);
    expect(isSqliteBusy('SQLITE_BUSY')).toBe(false);
  });

  it('runs again while the answer is SQLITE_BUSY, waiting longer each time, and gives the result', async () => {
    const at: number[] = [];
    const result = await retryOnSqliteBusy(async () => {
      at.push(Date.now());
      if (at.length < 3) throw busy();
      return 'created';
    }, 5, 20);
    expect(result).toBe('created');
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(18);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(38);
  });

  it('gives up after the attempts, and never retries another error', async () => {
    let calls = 0;
    await expect(retryOnSqliteBusy(async () => { calls++; throw busy(); }, 3, 1)).rejects.toThrow(/SQLITE_BUSY/);
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnSqliteBusy(async () => { calls++; throw new Error('index key too long'); }, 3, 1)).rejects.toThrow('index key too long');
    expect(calls).toBe(1);
  });
});
