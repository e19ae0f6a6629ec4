// `taser case show N` and `taser case list` as a newcomer runs them: the real command in a child process,
// reading the cases the service stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testMongoUri } from '../support/db.js';
import { runTaser } from '../support/cli.js';
import { casesOn, storeAlert } from './helpers.js';

describe('taser case', { timeout: 120_000 }, () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await openTestDatabase('casecli');
    const cases = casesOn(db.db);
    await cases.ensureIndexes();
    const alert = await storeAlert(db.db, { src_ip: ['10.7.7.7'] });
    const soc = { actor: 'USOC1', isMember: async () => true };
    await cases.service.create(soc, { title: 'CLI case', severity: 'high', team: 'appsec', alertIds: [alert._id] });
    await cases.service.create(soc, { title: 'Second', severity: 'low' });
    const uri = new URL(testMongoUri());
    uri.pathname = `/${db.db.databaseName}`;
    env = { MONGODB_URI: uri.toString() };
  });
  afterAll(async () => db?.drop());

  it('shows a case with its observables and sync state; a missing one exits 1', async () => {
    const shown = await runTaser(['case', 'show', '1'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Case #1: CLI case\n/);
    expect(shown.stdout).toContain('backend: kept in taser (no case backend enabled)');
    expect(shown.stdout).toContain('src_ip=10.7.7.7');
    const json = await runTaser(['case', 'show', '#1', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ number: 1, backend: { name: 'taser', sync: 'synced' } });
    expect((await runTaser(['case', 'show', '9'], env)).code).toBe(1);
  });

  it('lists newest first, filtered', async () => {
    const listed = await runTaser(['case', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['#2', '#1']);
    const team = await runTaser(['case', 'list', '--team', 'appsec', '--json'], env);
    expect((JSON.parse(team.stdout) as { number: number }[]).map((c) => c.number)).toEqual([1]);
    expect((await runTaser(['case', 'list', '--status', 'maybe'], env)).code).toBe(2);
  });
});
