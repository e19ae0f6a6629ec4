// Many flows in one long-lived app (the flows tests start a fresh app per test): thirty alerts with `confirm`
// at once, each DM answered, each flow resolved. Before the job runner skipped overlapping scans
// (src/jobs/scheduler.ts), Agenda's 100 ms scans piled up on the loaded database until hundreds of operations
// waited for a connection, flows did not start for minutes and MongoWaitQueueTimeoutError followed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import type { SlackFake } from '../support/slack-fake.js';
import type { PagerDutyFake } from '../../plugins/pagerduty/pagerduty-fake.js';
import { PEOPLE, click, dmOf, flowIn, flowOf, signal, startFlowApp, startPd, startPeople } from './helpers.js';

const FLOWS = 30;

describe('many confirmation flows in one app', { timeout: 240_000 }, () => {
  let t: TestApp;
  let slack: SlackFake;
  let pd: PagerDutyFake;

  beforeAll(async () => {
    slack = await startPeople();
    pd = await startPd();
    t = await startFlowApp({ slack, pd });
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') for (const l of t.logs.filter((x) => Number(x.level) >= 40).slice(-15)) console.error(JSON.stringify({ msg: l.msg, component: l.component, err: (l.err as { message?: string } | undefined)?.message }));
  });
  afterAll(async () => {
    await t?.stop();
    await slack?.stop();
    await pd?.stop();
  });

  it(`starts, asks and resolves ${FLOWS} flows; the database pool never has a queue`, async () => {
    // Operations waiting for a pooled connection (driver CMAP events, emitted without command monitoring).
    let waiting = 0;
    let maxWaiting = 0;
    const client = t.taser.database.client;
    client.on('connectionCheckOutStarted', () => void (maxWaiting = Math.max(maxWaiting, ++waiting)));
    client.on('connectionCheckedOut', () => void waiting--);
    client.on('connectionCheckOutFailed', () => void waiting--);

    const alerts = await Promise.all(Array.from({ length: FLOWS }, (_, i) => signal(t, 'login_new_device', { email: 'alice@example.com', src_ip: `198.51.100.${100 + i}` })));
    // Thirty at once on a loaded machine: each wait may take longer than one flow's would.
    const flows = await Promise.all(alerts.map((a) => flowOf(t, a._id, 120_000)));
    const dms = await Promise.all(flows.map((f) => dmOf(t, PEOPLE.alice.id, f._id, 120_000)));
    for (const dm of dms) expect((await click(t, PEOPLE.alice.id, dm, 'yes', `D${PEOPLE.alice.id.slice(1)}`)).text).toContain('Thanks');
    for (const f of flows) await flowIn(t, f._id, 'resolved', 120_000);
    expect(new Set(flows.map((f) => f.caseId)).size).toBe(FLOWS);
    expect(t.logs.filter((l) => JSON.stringify(l).includes('MongoWaitQueueTimeoutError'))).toEqual([]);
    // Before the fix: 300+ (the pool holds 50).
    expect(maxWaiting).toBeLessThan(100);
  });
});
