// Positron against the real database: ACLs, audit records, cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDatabase } from '../support/db.js';
import { AccessDeniedError, AUDIT_COLLECTION, Positron } from '../../src/positron/service.js';
import { positronConfigSchema } from '../../src/positron/config.js';
import { STANDARD_QUERIES, UsageError } from '../../src/positron/query-types.js';
import type { Provider } from '../../src/positron/fanout.js';
import type { AccessControl } from '../../src/plugins/types.js';

const silent = pino({ level: 'silent' });
const members: Record<string, string[]> = { soc: ['U_SOC'] };
const access: AccessControl = { isMember: async (user, groups) => groups.some((g) => members[g]?.includes(user)) };

describe('Positron service', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let calls = 0;
  let positron: Positron;
  beforeAll(async () => {
    database = await openTestDatabase('positron');
    const providers: Provider[] = [
      { id: 'dns:dns', query: 'IP_TO_HOSTNAME', priority: 1, answer: async () => (calls++, [{ value: { hostname: 'web01.corp' } }]) },
      { id: 'hr:directory', query: 'USER_MANAGER', priority: 1, answer: async () => [{ value: { manager: { email: 'boss@corp' } } }] },
      { id: 'down:down', query: 'USER_MANAGER', priority: 1, answer: async () => Promise.reject(new Error('503 from directory')) },
    ];
    const config = positronConfigSchema.parse({ acl: { USER_MANAGER: ['soc'] }, sensitive: ['USER_INFO'] });
    positron = new Positron(STANDARD_QUERIES, providers, config, access, database.db, silent);
  });
  afterAll(async () => database.drop());

  it('answers an open query and caches the answer', async () => {
    const first = await positron.run({ kind: 'slack', userId: 'U_ANY' }, 'ip_to_hostname', { args: ['10.1.2.3'] });
    expect(first.top?.summary).toBe('web01.corp');
    expect(first.cached).toBe(false);
    const second = await positron.run({ kind: 'slack', userId: 'U_ANY' }, 'IP_TO_HOSTNAME', { args: ['10.1.2.3'] });
    expect(second.cached).toBe(true);
    expect(calls).toBe(1);
  });

  it('denies a query outside the caller groups, and audits both outcomes', async () => {
    await expect(positron.run({ kind: 'slack', userId: 'U_ANY' }, 'USER_MANAGER', { args: ['alice@corp'] })).rejects.toThrow(AccessDeniedError);
    const ok = await positron.run({ kind: 'slack', userId: 'U_SOC' }, 'USER_MANAGER', { args: ['alice@corp'] });
    expect(ok.top?.summary).toBe('boss@corp');
    expect(ok.providers.find((p) => p.provider === 'down:down')).toMatchObject({ status: 'failed', error: '503 from directory' });
    const audit = await database.db.collection(AUDIT_COLLECTION).find({ query: 'USER_MANAGER' }).sort({ at: 1 }).toArray();
    expect(audit.map((a) => [a.caller, a.outcome])).toEqual([
      ['slack:U_ANY', 'denied'],
      ['slack:U_SOC', 'answered'],
    ]);
    expect(audit[1]!.providers).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'down:down', status: 'failed' })]));
  });

  it('denies sensitive queries unless a group allows them, including for API keys', async () => {
    await expect(positron.run({ kind: 'api', key: 'cortex', groups: ['soc'] }, 'USER_INFO', { input: { user: 'a' } })).rejects.toThrow(AccessDeniedError);
    expect((await positron.allowedQueries({ kind: 'slack', userId: 'U_ANY' })).map((q) => q.name)).not.toContain('USER_INFO');
    expect((await positron.allowedQueries({ kind: 'slack', userId: 'U_SOC' })).map((q) => q.name)).toContain('USER_MANAGER');
  });

  it('answers bad arguments with the usage line and audits them as invalid', async () => {
    await expect(positron.run({ kind: 'slack', userId: 'U_ANY' }, 'IP_TO_HOSTNAME', { args: ['not-an-ip'] })).rejects.toThrow(/usage: IP_TO_HOSTNAME <ip>/);
    await expect(positron.run({ kind: 'slack', userId: 'U_ANY' }, 'IP_TO_HOSTNAME', { args: [] })).rejects.toThrow(UsageError);
    const invalid = await database.db.collection(AUDIT_COLLECTION).countDocuments({ outcome: 'invalid' });
    expect(invalid).toBe(2);
  });
});
