// `taser simulate --rule ID --since 30d`: the stored signals of the period through the engine, reported per day,
// per group and by signals per alert; the rule as stored by the bot, or a draft from a rules file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, testMongoUri } from '../support/db.js';
import { runTaser } from '../support/cli.js';
import { SignalStore } from '../../src/signals/store.js';
import { RuleStore } from '../../src/correlation/rule-store.js';
import { backtestRule, type BacktestReport } from '../../src/correlation/backtest.js';
import { parseRule } from '../../src/correlation/rule.js';

const DAY = 86_400_000;
const rule = { id: 'pushes', parts: [{ match: { type: 'duo_push_denied' }, count: 2 }], window: '1h', groupBy: ['username'] };

describe('taser simulate --rule --since', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let uri: string;
  const now = Date.now();
  const at = (daysAgo: number, minutes: number) => new Date(now - daysAgo * DAY + minutes * 60_000).toISOString();

  beforeAll(async () => {
    database = await openTestDatabase('backtest');
    const url = new URL(testMongoUri());
    url.pathname = `/${database.db.databaseName}`;
    uri = url.toString();
    const sig = (id: string, user: string, time: string) => ({ id, source: 'duo', type: 'duo_push_denied', occurredAt: time, artifacts: { username: user } });
    await new SignalStore(database.db).insert([
      // alice fires twice (days 3 and 2), bob once (day 2, three pushes in one alert), carol never, and an old
      // pair 40 days ago lies outside the period.
      sig('a1', 'alice', at(3, 0)), sig('a2', 'Alice', at(3, 10)),
      sig('a3', 'alice', at(2, 0)), sig('a4', 'alice', at(2, 5)),
      sig('b1', 'bob', at(2, 1)), sig('b2', 'bob', at(2, 2)), sig('b3', 'bob', at(2, 3)),
      sig('c1', 'carol', at(1, 0)),
      sig('o1', 'old', at(40, 0)), sig('o2', 'old', at(40, 1)),
    ]);
    await new RuleStore(database.db).syncFromConfig([rule]);
  });
  afterAll(async () => database?.drop());

  it('reports how often the stored rule would have fired in the period', async () => {
    const { code, stdout, stderr } = await runTaser(['simulate', '--rule', 'pushes', '--since', '30d', '--json'], { MONGODB_URI: uri });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as BacktestReport;
    expect(report.signals).toBe(8);
    expect(report.alerts).toBe(3);
    expect(Object.values(report.perDay).reduce((a, b) => a + b, 0)).toBe(3);
    expect(report.topGroups).toEqual([{ group: { username: 'alice' }, alerts: 2 }, { group: { username: 'bob' }, alerts: 1 }]);
    expect(report.signalsPerAlert).toEqual({ min: 2, median: 2, mean: 2.33, max: 3 });
  });

  it('tries a draft from a rules file, and names what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taser-backtest-'));
    const drafts = join(dir, 'rules.yaml');
    writeFileSync(drafts, JSON.stringify([{ ...rule, parts: [{ match: { type: 'duo_push_denied' }, count: 3 }] }]));
    const draft = await runTaser(['simulate', '--rule', 'pushes', '--since', '30d', '--rules', drafts], { MONGODB_URI: uri });
    expect(draft.code).toBe(0);
    expect(draft.stdout).toContain('8 stored signals, 1 alerts');
    expect(draft.stdout).toMatch(/username=bob {2}1/);

    const unknown = await runTaser(['simulate', '--rule', 'nope', '--since', '30d'], { MONGODB_URI: uri });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no stored rule "nope"');
    const badSince = await runTaser(['simulate', '--rule', 'pushes', '--since', 'a while'], { MONGODB_URI: uri });
    expect(badSince.code).toBe(1);
    expect(badSince.stderr).toContain('--since: must be a duration');
    const mixed = await runTaser(['simulate', '--rule', 'pushes', '--since', '30d', '--signals', drafts], {});
    expect(mixed.code).toBe(2);
  }, 120_000);
});

describe('the backtest over more than a few batches of stored signals', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('backtestpages');
  });
  afterAll(async () => database?.drop());

  it('reads every signal of the period once, ties on occurredAt included, with progress every 1,000', async () => {
    // 2,600 signals, 13 to a millisecond (a reader paging by occurredAt must not lose or repeat ties).
    const base = Date.now() - DAY;
    const signals = Array.from({ length: 2_600 }, (_, i) => ({ id: `p${i}`, source: 'duo', type: 'duo_push_denied', occurredAt: new Date(base + Math.floor(i / 13)).toISOString(), artifacts: { username: `u${i % 100}` } }));
    const store = new SignalStore(database.db);
    await store.ensureIndexes();
    await store.insert(signals);
    const seen = new Set<string>();
    const progress: number[] = [];
    const report = await backtestRule(database.db, parseRule({ id: 'each', parts: [{ match: { type: 'duo_push_denied' }, count: 1 }], window: '1m', groupBy: ['username'] }, 'test'), new Date(base - 1), new Date(base + DAY), {
      onAlert: (a) => a.ids.forEach((id) => seen.add(id)),
      onProgress: (n, phase) => void (phase === 'read' && progress.push(n)),
    });
    expect(report.signals).toBe(2_600);
    expect(seen.size).toBe(2_600);
    expect(report.topGroups).toHaveLength(20);
    expect(progress).toEqual([1_000, 2_000]);
  });
});
