// The case service on the real database: numbers, events for every change, ACL refusals, alerts and their
// artifacts as observables, observables of signals appended later, close and reopen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { openTestDatabase, testMongoUri } from '../../test/support/db.js';
import { casesOn, storeAlert } from '../../test/cases/helpers.js';
import { CaseForbiddenError, CaseInputError, CaseStateError, type CaseEvent, type StoredCase } from './model.js';
import type { Principal } from './access.js';
import type { Cases } from './wire.js';

const MEMBERS: Record<string, string[]> = { soc: ['USOC1'], admins: ['UADMIN1'], appsec: ['UAPPSEC1'], leads: ['ULEAD1'] };
const as = (userId: string): Principal => ({ actor: userId, isMember: async (groups) => groups.some((g) => MEMBERS[g]?.includes(userId)) });

describe('case service', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let cases: Cases;
  const events: { name: string; c: StoredCase; e: CaseEvent }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('cases');
    cases = casesOn(db.db);
    await cases.ensureIndexes();
    cases.service.events.on('created', (c, e) => events.push({ name: 'created', c, e }));
    cases.service.events.on('updated', (c, e) => events.push({ name: 'updated', c, e }));
  });
  afterAll(async () => db?.drop());

  it('creates a case from an alert: number 1, its artifacts as observables, kept in taser without a backend, every step a case event', async () => {
    const alert = await storeAlert(db.db, { src_ip: ['10.1.2.3'], user_name: ['alice'], username: ['alice'] });
    const c = await cases.service.create(as('UAPPSEC1'), { title: 'SQLi on web01', severity: 'high', team: 'appsec', alertIds: [alert._id] });
    expect(c.number).toBe(1);
    expect(c.status).toBe('open');
    expect(c.backend).toMatchObject({ name: 'taser', sync: 'synced' });
    expect(c.alertIds).toEqual([alert._id]);
    // user_name and username fold into one observable.
    expect(c.observables.map((o) => `${o.field}=${o.value}`).sort()).toEqual(['src_ip=10.1.2.3', 'username=alice']);
    expect(c.artifacts).toContain('username=alice');
    const log = await cases.store.eventsAfter(c._id, 0);
    expect(log.map((e) => [e.seq, e.kind, e.actor])).toEqual([[1, 'created', 'UAPPSEC1'], [2, 'alerts_added', 'UAPPSEC1'], [3, 'observables_added', 'UAPPSEC1']]);
    expect(events.filter((x) => x.name === 'created').map((x) => x.c.number)).toEqual([1]);
    expect((await cases.service.get('#1'))?._id).toBe(c._id);
    expect((await cases.service.get(c._id))?.number).toBe(1);
  });

  it('refuses people outside the team and the SOC, names the groups, and audits the refusal', async () => {
    const err = await cases.service.create(as('UOUTSIDE'), { title: 't', severity: 'low', team: 'appsec' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaseForbiddenError);
    expect(String((err as Error).message)).toMatch(/`soc` or `appsec` or `leads`/);
    const audit = await db.db.collection('case_audit').find({ actor: 'UOUTSIDE' }).toArray();
    expect(audit).toMatchObject([{ action: 'create', team: 'appsec', outcome: 'denied' }]);
    // A case without a team is the SOC's.
    await expect(cases.service.create(as('UAPPSEC1'), { title: 't', severity: 'low' })).rejects.toBeInstanceOf(CaseForbiddenError);
    expect((await cases.service.create(as('USOC1'), { title: 'SOC case', severity: 'low' })).number).toBe(2);
  });

  it('names every bad field', async () => {
    const err = (await cases.service.create(as('USOC1'), { title: '', severity: 'urgent' as never, alertIds: ['nope', '0123456789abcdef01234567'] }).catch((e: unknown) => e)) as CaseInputError;
    expect(err).toBeInstanceOf(CaseInputError);
    expect(err.problems.map((p) => p.field).sort()).toEqual(['alertIds.0', 'severity', 'title']);
    const missing = (await cases.service.create(as('USOC1'), { title: 'x', severity: 'low', alertIds: ['0123456789abcdef01234567'] }).catch((e: unknown) => e)) as CaseInputError;
    expect(missing.problems).toEqual([{ field: 'alertIds.0', message: 'no alert 0123456789abcdef01234567' }]);
  });

  it('updates, adds alerts, takes observables of signals appended later, closes for leads only, reopens', async () => {
    const c = await cases.service.create(as('UAPPSEC1'), { title: 'Phish', severity: 'medium', team: 'appsec' });
    const assigned = await cases.service.update(as('UAPPSEC1'), c.number, { assignee: 'UAPPSEC1', severity: 'high' });
    expect(assigned).toMatchObject({ assignee: 'UAPPSEC1', severity: 'high' });
    const alert = await storeAlert(db.db, { domain: ['evil.example'] });
    const withAlert = await cases.service.addAlerts(as('UAPPSEC1'), String(c.number), [alert._id]);
    expect(withAlert.observables.map((o) => o.value)).toEqual(['evil.example']);
    // The correlator appends a signal to the alert: its new artifacts reach the case.
    await cases.service.alertsUpdated([{ _id: alert._id, artifacts: [...alert.artifacts, 'url=https://evil.example/x', 'https://evil.example/x'] }]);
    expect((await cases.service.get(c._id))!.observables.map((o) => o.value)).toEqual(['evil.example', 'https://evil.example/x']);

    await expect(cases.service.close(as('UAPPSEC1'), c.number, { resolution: 'true_positive' })).rejects.toBeInstanceOf(CaseForbiddenError);
    await expect(cases.service.close(as('ULEAD1'), c.number, { resolution: 'maybe' as never })).rejects.toBeInstanceOf(CaseInputError);
    const closed = await cases.service.close(as('ULEAD1'), c.number, { resolution: 'true_positive', summary: 'contained' });
    expect(closed).toMatchObject({ status: 'closed', resolution: 'true_positive', summary: 'contained', closedBy: 'ULEAD1' });
    await expect(cases.service.addAlerts(as('UAPPSEC1'), c.number, [alert._id])).rejects.toBeInstanceOf(CaseStateError);
    const reopened = await cases.service.reopen(as('UADMIN1'), c.number);
    expect(reopened.status).toBe('open');
    expect(reopened.resolution).toBeUndefined();
    const kinds = (await cases.store.eventsAfter(c._id, 0)).map((e) => `${e.kind}:${e.actor}`);
    expect(kinds).toEqual(['created:UAPPSEC1', 'updated:UAPPSEC1', 'alerts_added:UAPPSEC1', 'observables_added:UAPPSEC1', 'observables_added:taser', 'closed:ULEAD1', 'reopened:UADMIN1']);
    const updated = (await cases.store.eventsAfter(c._id, 1, 1))[0]!;
    expect(updated.data).toEqual({ changes: { severity: 'high', assignee: 'UAPPSEC1' } });
  });

  it('takes the observables of a burst of alert updates with one read, one change per case', async () => {
    const first = await storeAlert(db.db, { domain: ['one.example'] });
    const second = await storeAlert(db.db, { domain: ['two.example'] });
    const outside = await storeAlert(db.db, { domain: ['outside.example'] });
    const c = await cases.service.create(as('UAPPSEC1'), { title: 'Burst', severity: 'low', team: 'appsec', alertIds: [first._id, second._id] });
    const logged = (await cases.store.eventsAfter(c._id, 0)).length;
    await cases.service.alertsUpdated([
      { _id: first._id, artifacts: [...first.artifacts, 'ip=10.9.9.9', '10.9.9.9'] },
      { _id: second._id, artifacts: [...second.artifacts, 'ip=10.9.9.8', '10.9.9.8'] },
      { _id: outside._id, artifacts: [...outside.artifacts, 'ip=10.9.9.7', '10.9.9.7'] },
    ]);
    expect((await cases.service.get(c._id))!.observables.map((o) => o.value)).toEqual(['one.example', 'two.example', '10.9.9.9', '10.9.9.8']);
    expect((await cases.store.eventsAfter(c._id, logged)).map((e) => e.kind)).toEqual(['observables_added']);
  });

  it('lists and searches: status, team, assignee, artifact, paged', async () => {
    const open = await cases.service.list({ status: 'open', limit: 2 });
    expect(open.cases).toHaveLength(2);
    expect(open.cases[0]!.number).toBeGreaterThan(open.cases[1]!.number);
    // Keyset paging: the next page starts after the last case shown.
    const rest = await cases.service.list({ status: 'open', limit: 10, cursor: open.next! });
    expect(rest.cases.length).toBeGreaterThan(0);
    expect(rest.cases[0]!.number).toBeLessThan(open.cases[1]!.number);
    expect((await cases.service.list({ assignee: 'UAPPSEC1', limit: 10 })).cases.map((c) => c.title)).toEqual(['Phish']);
    expect((await cases.service.list({ artifact: 'src_ip=10.1.2.3', limit: 10 })).cases.map((c) => c.number)).toEqual([1]);
  });

  it('gives distinct numbers to cases created at once through two connections (two replicas)', async () => {
    const second = new MongoClient(testMongoUri());
    await second.connect();
    try {
      const other = casesOn(second.db(db.db.databaseName));
      const before = (await cases.service.list({ limit: 1 })).cases[0]!.number;
      const made = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 ? cases : other).service.create(as('USOC1'), { title: `race ${i}`, severity: 'low' })),
      );
      const numbers = made.map((c) => c.number).sort((a, b) => a - b);
      expect(new Set(numbers).size).toBe(16);
      expect(numbers).toEqual(Array.from({ length: 16 }, (_, i) => before + 1 + i));
    } finally {
      await second.close();
    }
  });
});
