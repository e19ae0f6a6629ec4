// The App Home tab and @-mention answers through the real receiver: signed event callbacks in, the Slack
// fake records views.publish and chat.postMessage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../../test/support/app.js';
import { eventBody, sendSlackRequest } from '../../test/support/slack-requests.js';
import { liveMentions } from '../../test/support/block-kit-check.js';
import { viewSchemaProblems } from '../../src/blocks/schema.js';
import { ALERTS_COLLECTION, type StoredAlert } from '../../src/correlation/alert-store.js';

function alert(id: string, over: Partial<StoredAlert> & Record<string, unknown>): StoredAlert {
  const at = new Date('2026-11-20T10:00:00Z');
  return {
    _id: id, ruleId: 'r', ruleVersion: 1, ruleName: id, group: {}, episode: 0, signals: [], signalCount: 2, firstSeen: at, lastSeen: at,
    severity: 'high', severityRank: 3, status: 'open', active: true, artifacts: [], history: [], createdAt: at, updatedAt: at, ...over,
  } as StoredAlert;
}

describe('home plugin', () => {
  let t: TestApp;
  const send = (event: Record<string, unknown>) => sendSlackRequest(t.slackUrl, eventBody(event), { secret: TEST_SIGNING_SECRET });

  beforeAll(async () => {
    t = await startTestApp({
      file: {
        plugins: { home: { helpUrl: 'https://wiki.example.com/taser' } },
        groups: { soc: { users: ['U0ALICE01', 'U0BOB0001'] }, admins: { users: ['U0ADMIN1'] } },
        cases: { soc: ['soc'], admins: ['admins'], caseUrl: 'https://soc.example.com/cases/{number}' },
      },
    });
    await t.taser.database.db.collection<StoredAlert>(ALERTS_COLLECTION).insertMany([
      alert('Impossible travel for <!channel>', { status: 'acknowledged', acknowledged: { by: 'U0ALICE01', at: new Date() }, team: 'soc' }),
      alert('Taken by bob', { status: 'acknowledged', acknowledged: { by: 'U0BOB0001', at: new Date() } }),
      alert('Brute force on vpn', { status: 'open' }),
      alert('Old and closed', { status: 'closed' }),
    ]);
    // Cases through the real case service: one assigned to the viewer, one to bob, one of hers closed.
    const who = (actor: string) => ({ actor, isMember: async () => true });
    const { service } = t.taser.cases;
    await service.create(who('U0ALICE01'), { title: 'Phishing wave on <finance>', description: '', severity: 'high', team: 'soc', assignee: 'U0ALICE01', tags: [] });
    await service.create(who('U0BOB0001'), { title: 'Bob\'s case', description: '', severity: 'low', assignee: 'U0BOB0001', tags: [] });
    const done = await service.create(who('U0ALICE01'), { title: 'Closed case of alice', description: '', severity: 'low', assignee: 'U0ALICE01', tags: [] });
    await service.close(who('U0ADMIN1'), done.number, { resolution: 'false_positive', summary: 'benign' });
  });
  afterAll(async () => t?.stop());

  it('publishes a Home tab with what taser does, the viewer\'s alerts, the waiting ones and help', async () => {
    const res = await send({ type: 'app_home_opened', user: 'U0ALICE01', channel: 'D0ALICE01', tab: 'home' });
    expect(res.status).toBe(200);
    const call = await t.slack.waitForCall('views.publish', (c) => c.args.user_id === 'U0ALICE01');
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('correlates them into the few alerts that matter');
    expect(text).toContain('Impossible travel for &lt;!channel&gt;'); // the viewer's, escaped
    expect(text).not.toContain('Taken by bob');
    expect(text).toContain('Brute force on vpn'); // waiting for someone
    expect(text).not.toContain('Old and closed');
    // The viewer's open cases, by number, escaped; not another's, not a closed one.
    expect(text).toContain('Your cases');
    expect(text).toContain('<https://soc.example.com/cases/1|#1 Phishing wave on &lt;finance&gt;>');
    expect(text).not.toContain('Bob\'s case');
    expect(text).not.toContain('Closed case of alice');
    expect(text).toContain('/taser help');
    expect(text).toContain('https://wiki.example.com/taser');
    expect(liveMentions({ blocks: view.blocks })).toEqual([]);
    expect(viewSchemaProblems(view)).toEqual([]);
  });

  it('does nothing for the Messages tab', async () => {
    const before = t.slack.calls.filter((c) => c.method === 'views.publish').length;
    await send({ type: 'app_home_opened', user: 'U0CAROL01', channel: 'D0CAROL01', tab: 'messages' });
    await send({ type: 'app_home_opened', user: 'U0DAVE001', channel: 'D0DAVE001', tab: 'home' });
    const dave = await t.slack.waitForCall('views.publish', (c) => c.args.user_id === 'U0DAVE001');
    expect(JSON.stringify(dave.args.view)).toContain('No open case is assigned to you');
    expect(t.slack.calls.filter((c) => c.method === 'views.publish').map((c) => c.args.user_id).slice(before)).toEqual(['U0DAVE001']);
  });

  it('answers an @-mention in its thread with the commands the person may run', async () => {
    t.slack.addChannel({ id: 'C0SOC0001', name: 'soc' });
    await send({ type: 'app_mention', user: 'U0ALICE01', channel: 'C0SOC0001', ts: '1700000000.000100', text: '<@UBOT0001> what can you do?' });
    const post = await t.slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0SOC0001');
    expect(post.args.thread_ts).toBe('1700000000.000100');
    expect(String(post.args.text)).toContain('/positron');
    expect(String(post.args.text)).toContain('`/taser help`');
  });
});
