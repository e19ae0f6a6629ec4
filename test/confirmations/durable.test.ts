// Flows across restarts and pager outages: a deadline scheduled by one process fires once in the next one on
// the same database; a page to a PagerDuty that is down is retried until it is back and sent exactly once; a
// page PagerDuty refuses (4xx) is marked failed on the flow and the case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import type { SlackFake } from '../support/slack-fake.js';
import type { PagerDutyFake } from '../../plugins/pagerduty/pagerduty-fake.js';
import { freshDbUri } from '../support/db.js';
import { waitUntil } from '../support/wait.js';
import { PEOPLE, caseEvents, dmOf, flowIn, flowOf, signal, startFlowApp, startPd, startPeople } from './helpers.js';

describe('confirmation flows across restarts and outages', { timeout: 120_000 }, () => {
  let slack: SlackFake;
  let pd: PagerDutyFake;
  let t: TestApp | undefined;
  const dbUri = freshDbUri('confirm');

  beforeAll(async () => {
    slack = await startPeople();
    pd = await startPd();
  });
  afterAll(async () => {
    if (t) {
      await t.taser.database.db.dropDatabase().catch(() => {});
      await t.stop();
    }
    await slack?.stop();
    await pd?.stop();
  });

  it('a restart while waiting: the deadline still fires, once, in the new process', async () => {
    const first = await startFlowApp({ slack, pd, mongodbUri: dbUri, keepDatabase: true });
    const alert = await signal(first, 'silent_medium', { email: 'alice@example.com', src_ip: '198.51.100.50' });
    const flow = await flowOf(first, alert._id);
    await dmOf(first, PEOPLE.alice.id, flow._id);
    expect((await first.taser.confirmations.store.get(flow._id))!.state).toBe('pending_user');
    await first.stop();

    t = await startFlowApp({ slack, pd, mongodbUri: dbUri, keepDatabase: true });
    await flowIn(t, flow._id, 'pending_manager', 60_000);
    const moved = await waitUntil(async () => (await t!.taser.confirmations.store.get(flow._id))?.manager, 'the manager found', 30_000);
    expect(moved.slackUserId).toBe(PEOPLE.bob.id);
    await dmOf(t, PEOPLE.bob.id, flow._id);
    // Give a duplicate run every chance to happen: one transition, one manager DM.
    await new Promise((r) => setTimeout(r, 2000));
    const out = (await t.taser.confirmations.store.history(flow._id)).filter((x) => x.from === 'pending_user');
    expect(out).toHaveLength(1);
    expect(slack.messagesIn(`D${PEOPLE.bob.id.slice(1)}`).filter((m) => JSON.stringify(m.blocks ?? []).includes(flow._id))).toHaveLength(1);
    // A second run of the same deadline (another replica, a retried job) is a no-op.
    await t.taser.confirmations.service.deadline(flow._id, 'pending_user');
    expect((await t.taser.confirmations.store.history(flow._id)).filter((x) => x.from === 'pending_user')).toHaveLength(1);
  });

  // Each pager test has its own app and database (see flows.test.ts on long-lived apps on a loaded machine).
  const fresh = async () => {
    if (t) {
      await t.taser.database.db.dropDatabase().catch(() => {});
      await t.stop();
    }
    t = await startFlowApp({ slack, pd });
    return t;
  };

  it('PagerDuty down, then a 429 with Retry-After and a 500, then back: exactly one trigger', async () => {
    const app = await fresh();
    pd.setDown(true);
    const alert = await signal(app, 'silent_critical', { email: 'alice@example.com', src_ip: '203.0.113.60' });
    const flow = await flowOf(app, alert._id);
    await flowIn(app, flow._id, 'escalated', 60_000);
    await waitUntil(async () => ((await app.taser.confirmations.pages.get(flow.caseId, 'trigger'))?.attempts ?? 0) >= 2, 'two failed attempts while PagerDuty is down', 30_000);
    expect(pd.events).toEqual([]);
    pd.failNext('/v2/enqueue', { status: 429, retryAfter: 1, message: 'rate limited' });
    pd.failNext('/v2/enqueue', { status: 500, message: 'oops' });
    pd.setDown(false);
    const sent = await waitUntil(async () => {
      const p = await app.taser.confirmations.pages.get(flow.caseId, 'trigger');
      return p?.status === 'sent' ? p : null;
    }, 'the page sent', 60_000);
    expect(sent.attempts).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 1500));
    expect(pd.events.filter((e) => e.dedup_key === flow.caseId && e.event_action === 'trigger')).toHaveLength(1);
    expect(app.logs.some((l) => l.msg === 'page not accepted yet; will retry')).toBe(true);
    expect((await caseEvents(app, flow.caseId)).filter((e) => e.kind === 'page_sent')).toHaveLength(1);
    const metrics = await (await fetch(`${app.taser.url}/metrics`)).text();
    expect(metrics).toMatch(/taser_confirmation_pages_total\{action="trigger",outcome="retry"\} [1-9]/);
  });

  it('a page PagerDuty refuses (400) is failed, visibly: on the page, the flow, the case, the log', async () => {
    const app = await fresh();
    pd.failNext('/v2/enqueue', { status: 400, message: 'Event object is invalid', errors: ['payload.summary is invalid'] });
    const alert = await signal(app, 'silent_critical', { email: 'alice@example.com', src_ip: '203.0.113.61' });
    const flow = await flowOf(app, alert._id);
    const page = await waitUntil(async () => {
      const p = await app.taser.confirmations.pages.get(flow.caseId, 'trigger');
      return p?.status === 'failed' ? p : null;
    }, 'the page failed', 60_000);
    expect(page.lastError).toMatch(/400 invalid event/);
    // The flow and the case learn it just after the page is marked failed (PageService.fail, then settled).
    await waitUntil(async () => (await app.taser.confirmations.store.get(flow._id))!.problems.some((p) => /page trigger failed/.test(p.message)), 'the flow names the failed page', 30_000);
    const failed = await waitUntil(async () => (await caseEvents(app, flow.caseId)).find((e) => e.kind === 'page_failed'), 'the page_failed case event', 30_000);
    expect(failed.data).toMatchObject({ action: 'trigger' });
    expect(app.logs.some((l) => l.msg === 'page trigger failed')).toBe(true);
    const api = await fetch(`${app.taser.url}/api/v1/confirmations/${flow._id}`, { headers: { authorization: 'Bearer read-key-0123456789' } });
    expect(((await api.json()) as { pages: { status: string }[] }).pages).toEqual([expect.objectContaining({ action: 'trigger', status: 'failed' })]);
  });
});
