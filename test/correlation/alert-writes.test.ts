// Alert writes of a correlation round on the real database: updates go in bulk and the alert after them is read
// once for its event; appended signals raise the severity (rank and name together) and never lower it; one
// statement per alert update (a raise is conditional, and a raise that finds the rank already stored is followed by
// the plain update); applying the same writes twice changes nothing (what a replay after a crash does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { connectDatabase, type Database } from '../../src/store/mongo.js';
import { freshDbUri } from '../support/db.js';
import { AlertEvents, type StoredAlert } from '../../src/correlation/alert-store.js';
import { applyOps, StoredRanks, type AlertOp } from '../../src/correlation/alert-writes.js';

describe('alert writes', () => {
  let database: Database;
  beforeAll(async () => {
    const uri = freshDbUri('alertwrites');
    database = await connectDatabase(`${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`);
  });
  afterAll(async () => {
    await database?.db.dropDatabase().catch(() => {});
    await database?.close();
  });

  const at = new Date('2026-11-30T12:00:00Z');
  const created = (id: string, rank: number): AlertOp => ({
    kind: 'create',
    doc: {
      _id: id, ruleId: 'r', ruleVersion: 1, group: { host: id }, episode: 0, signals: ['t/1'], signalCount: 1, firstSeen: at, lastSeen: at,
      severity: (['info', 'low', 'medium', 'high', 'critical'] as const)[rank]!, severityRank: rank, status: 'open', active: true, artifacts: ['host=a'],
      history: [{ at, kind: 'created', signals: ['t/1'] }], createdAt: at, updatedAt: at,
    },
  });
  const appended = (id: string, key: string, rank: number): AlertOp => ({
    kind: 'update', id, rank, artifacts: [`host=${key}`], appended: [key], history: [{ at, kind: 'appended', signals: [key] }],
    set: { signals: ['t/1', key], signalCount: 2, firstSeen: at, lastSeen: at, active: true, updatedAt: at },
  });

  it('raises and never lowers the severity, emits each updated alert as stored, and is idempotent', async () => {
    const alerts = database.db.collection<StoredAlert>('alerts');
    const events = new AlertEvents();
    const seen: StoredAlert[] = [];
    events.on('updated', (a) => seen.push(a));
    const ranks = new StoredRanks();
    const deps = { alerts, events, logger: pino({ level: 'silent' }), ranks };
    await applyOps([created('a', 2), created('b', 2)], deps);

    const round = [appended('a', 't/2', 3), appended('b', 't/3', 1)];
    await applyOps(round, deps);
    await applyOps(round, deps); // a replay
    const [a, b] = await Promise.all([alerts.findOne({ _id: 'a' }), alerts.findOne({ _id: 'b' })]);
    expect(a).toMatchObject({ severity: 'high', severityRank: 3, signalCount: 2, artifacts: ['host=a', 'host=t/2'] });
    expect(a!.history).toHaveLength(2);
    expect(b).toMatchObject({ severity: 'medium', severityRank: 2, artifacts: ['host=a', 'host=t/3'] });
    expect(seen.map((x) => [x._id, x.severity])).toEqual([['a', 'high'], ['b', 'medium'], ['a', 'high'], ['b', 'medium']]);
  });

  it('sends one statement per alert update, and the plain update after a raise that found the rank stored', async () => {
    const alerts = database.db.collection<StoredAlert>('alerts');
    const statements: number[] = [];
    const count = (e: { commandName: string; command: Record<string, unknown> }) => {
      if (e.commandName === 'update' && e.command.update === 'alerts') statements.push((e.command.updates as unknown[]).length);
    };
    const deps = { alerts, events: new AlertEvents(), logger: pino({ level: 'silent' }), ranks: new StoredRanks() };
    await applyOps([created('c', 3)], deps);
    database.client.on('commandStarted', count);
    await applyOps([appended('c', 't/4', 2)], deps); // below the rank created: the plain statement
    await applyOps([appended('c', 't/5', 4)], deps); // above it: the conditional raise, matched
    await applyOps([appended('c', 't/6', 4)], deps); // the raised rank was read back: plain
    // Another process, whose ranks know nothing, raises to what is stored already: the raise matches nothing,
    // then the plain update (a later updatedAt) is sent for that alert alone.
    const other = { ...deps, ranks: new StoredRanks() };
    const later = (op: AlertOp): AlertOp => (op.kind === 'update' ? { ...op, set: { ...op.set, updatedAt: new Date(at.getTime() + 1000) } } : op);
    await applyOps([later(appended('c', 't/7', 3)), later(appended('a', 't/8', 0))], other);
    database.client.removeListener('commandStarted', count);
    expect(statements).toEqual([1, 1, 1, 2, 1]);
    const c = await alerts.findOne({ _id: 'c' });
    expect(c).toMatchObject({ severity: 'critical', severityRank: 4, signals: ['t/1', 't/7'], updatedAt: new Date(at.getTime() + 1000) });
    expect(c!.artifacts).toContain('host=t/7');
  });
});
