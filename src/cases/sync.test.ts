// The backend sync (the per-case outbox) against a backend implementing the port in memory: in order, retried
// with back-off and Retry-After, resumed by a new process, exactly one backend case, failures visible and
// retried by an admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { openTestDatabase } from '../../test/support/db.js';
import { waitUntil } from '../../test/support/wait.js';
import { MemoryBackend, casesOn, storeAlert } from '../../test/cases/helpers.js';
import type { Principal } from './access.js';
import type { Cases } from './wire.js';

const soc: Principal = { actor: 'USOC1', isMember: async (g) => g.includes('soc') || g.includes('admins') };
const FAST = { retryBaseSeconds: 0.05, maxAttempts: 4 };

describe('case backend sync', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const backend = new MemoryBackend();
  let cases: Cases;
  const synced = (id: string, c = cases) => waitUntil(async () => {
    const found = await c.store.get(id);
    return found?.backend.sync === 'synced' ? found : null;
  }, `case ${id} synced`);

  beforeAll(async () => {
    db = await openTestDatabase('casesync');
    cases = casesOn(db.db, { backend, config: FAST });
    await cases.ensureIndexes();
  });
  afterAll(async () => db?.drop());

  it('mirrors a new case at once: one backend case with every observable, linked back, announced', async () => {
    const alert = await storeAlert(db.db, { src_ip: ['10.9.9.9'], domain: ['bad.example'], md5: ['d41d8cd98f00b204e9800998ecf8427e'] });
    const linked: string[] = [];
    cases.service.events.on('updated', (_c, e) => void (e.kind === 'backend_linked' && linked.push(e.caseId)));
    const c = await cases.service.create(soc, { title: 'Beaconing', severity: 'high', team: 'appsec', alertIds: [alert._id] });
    // Usable at once, before the backend answered.
    expect(c.backend).toMatchObject({ name: 'memory', sync: 'pending' });
    const done = await synced(c._id);
    expect(done.backend).toMatchObject({ name: 'memory', id: '~1', url: 'https://cases.example.com/~1', sync: 'synced' });
    const mirrored = backend.cases.get('~1')!;
    expect(mirrored).toMatchObject({ caseId: c._id, number: c.number, title: 'Beaconing', severity: 'high', team: 'appsec', alerts: [alert._id] });
    expect([...mirrored.observables.keys()].sort()).toEqual(['domain=bad.example', 'md5=d41d8cd98f00b204e9800998ecf8427e', 'src_ip=10.9.9.9']);
    expect(linked).toEqual([c._id]);
    expect(done.backend.appliedSeq).toBe(done.lastSeq);
  });

  it('applies changes in order while the backend is down, survives a restart, and makes exactly one backend case', async () => {
    backend.down = true;
    const alert = await storeAlert(db.db, { username: ['mallory'], src_ip: ['203.0.113.5'] });
    const c = await cases.service.create(soc, { title: 'Outage case', severity: 'medium', alertIds: [alert._id] });
    await cases.service.close(soc, c.number, { resolution: 'false_positive', summary: 'test' });
    const waiting = await waitUntil(async () => {
      const found = await cases.store.get(c._id);
      return found && found.backend.attempts >= 1 ? found : null;
    }, 'a failed attempt recorded');
    expect(waiting.backend).toMatchObject({ sync: 'pending', lastError: 'connect ECONNREFUSED' });
    expect(waiting.backend.id).toBeUndefined();

    // The process stops; the first create had in fact reached the backend before the answer was lost.
    backend.down = false;
    await backend.createCase({ caseId: c._id, number: c.number, title: c.title, description: '', severity: 'medium', tags: [], alertIds: [] });
    const restarted = casesOn(db.db, { backend, config: FAST });
    await new Promise((r) => setTimeout(r, 120)); // past the back-off
    await restarted.sync.processDue();
    const done = await synced(c._id, restarted);
    expect([...backend.cases.values()].filter((b) => b.caseId === c._id)).toHaveLength(1);
    const mirrored = backend.cases.get(done.backend.id!)!;
    expect([...mirrored.observables.keys()].sort()).toEqual(['src_ip=203.0.113.5', 'username=mallory']);
    expect(mirrored.status).toBe('Resolved:false_positive');
    // In the case's order: observables before the close.
    const order = backend.calls.filter((x) => x.method !== 'createCase').map((x) => x.method);
    expect(order.slice(-3)).toEqual(['linkAlert', 'addObservables', 'closeCase']);
  });

  it('waits as long as Retry-After says, and longer than its back-off', async () => {
    backend.failNext('createCase', { retryable: true, status: 429, retryAfterMs: 60_000 });
    const c = await cases.service.create(soc, { title: 'Rate limited', severity: 'low' });
    const waiting = await waitUntil(async () => {
      const found = await cases.store.get(c._id);
      return found?.backend.attempts ? found : null;
    }, 'the 429 recorded');
    expect(waiting.backend.nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(55_000);
    await cases.sync.processDue();
    expect((await cases.store.get(c._id))!.backend.sync).toBe('pending'); // not due yet
    await cases.store.cases.updateOne({ _id: c._id }, { $set: { 'backend.nextAttemptAt': new Date() } });
    await cases.sync.processDue();
    await synced(c._id);
  });

  it('marks the sync failed on a refusal retrying cannot fix (visible, counted, logged), then an admin retries it', async () => {
    const registry = new Registry();
    const counted = casesOn(db.db, { backend, config: FAST, registry });
    backend.failNext('addObservables', { retryable: false, status: 400 });
    const alert = await storeAlert(db.db, { url: ['https://x.example/a'] });
    const c = await counted.service.create(soc, { title: 'Refused', severity: 'low', alertIds: [alert._id] });
    const failed = await waitUntil(async () => {
      const found = await counted.store.get(c._id);
      return found?.backend.sync === 'failed' ? found : null;
    }, 'the sync failed');
    expect(failed.backend.lastError).toBe('HTTP 400');
    // The failed state is written first and the log entry right after it: wait for the entry, not only the state.
    const log = await waitUntil(async () => {
      const events = await counted.store.eventsAfter(c._id, 0);
      return events.at(-1)?.kind === 'sync_failed' ? events : null;
    }, 'the sync_failed log entry');
    expect(log.at(-1)).toMatchObject({ kind: 'sync_failed', actor: 'taser', data: { error: 'HTTP 400' } });
    const metrics = await registry.metrics();
    expect(metrics).toContain('taser_case_sync_calls_total{backend="memory",op="observables_added",outcome="failed"} 1');
    // The gauge is refreshed in the background of a scrape (a scrape never waits on the database).
    await waitUntil(async () => /taser_cases_sync_failed [1-9]/.test(await registry.metrics()), 'the failed-sync gauge counts the case');
    // Later changes queue behind the failure instead of jumping it.
    await counted.service.update(soc, c.number, { title: 'Refused (renamed)' });
    await counted.sync.processDue();
    expect((await counted.store.get(c._id))!.backend.sync).toBe('failed');

    await expect(counted.service.retrySync({ actor: 'USOC2', isMember: async () => false }, c.number)).rejects.toThrow(/admins/);
    await counted.service.retrySync({ actor: 'UADMIN1', isMember: async (g) => g.includes('admins') }, c.number);
    const done = await synced(c._id, counted);
    const mirrored = backend.cases.get(done.backend.id!)!;
    expect([...mirrored.observables.keys()]).toEqual(['url=https://x.example/a']);
    expect(mirrored.patches).toEqual([{ title: 'Refused (renamed)' }]);
  });
});
