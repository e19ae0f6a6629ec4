// Confirmation flows end to end: a rule with `confirm` turns a login alert into a DM to the user; clicks go
// as signed requests through the real Bolt receiver; people are found through Positron (slack-profiles over
// the Slack fake, pagerduty over the PagerDuty fake); pages go to the PagerDuty fake over real HTTP. Timeouts
// are two seconds.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import type { SlackFake } from '../support/slack-fake.js';
import type { PagerDutyFake } from '../../plugins/pagerduty/pagerduty-fake.js';
import { waitUntil } from '../support/wait.js';
import { PEOPLE, ROUTING_KEY, buttonsOf, caseEvents, click, command, dmOf, flowIn, flowOf, signal, startFlowApp, startPd, startPeople } from './helpers.js';

const dmChannel = (userId: string) => `D${userId.slice(1)}`;

describe('confirmation flows', { timeout: 90_000 }, () => {
  let t: TestApp;
  let slack: SlackFake;
  let pd: PagerDutyFake;

  // One app (and database) per test: each path starts from nothing. (The stalls once seen in one long-lived app
  // were Agenda's overlapping scans exhausting the pool, fixed in src/jobs/scheduler.ts; many.test.ts covers it.)
  beforeAll(async () => {
    slack = await startPeople();
    pd = await startPd();
  });
  afterAll(async () => {
    await slack?.stop();
    await pd?.stop();
  });
  afterEach(async (context) => {
    // On a failure, what the app logged at warn and above says why.
    if (context.task.result?.state === 'fail') for (const l of t.logs.filter((x) => Number(x.level) >= 40 && x.msg !== "job scheduler error").slice(-12)) console.error(JSON.stringify({ msg: l.msg, component: l.component, plugin: l.plugin, route: l.route, err: (l.err as { message?: string } | undefined)?.message }));
  });
  afterEach(async () => {
    await t?.stop();
  });
  beforeEach(async () => {
    pd.events.length = 0;
    pd.requests.length = 0;
    t = await startFlowApp({ slack, pd });
  });

  it('Yes: a new-country login DMs the user what happened; "Yes, it was me" resolves the flow and closes the case as benign', async () => {
    const alert = await signal(t, 'login_new_country', { email: 'alice@example.com', src_ip: '203.0.113.7', city: 'Lisbon', country: 'PT', user_agent: 'Firefox on Linux' });
    const flow = await flowOf(t, alert._id);
    expect(flow).toMatchObject({ state: 'pending_user', user: { email: 'alice@example.com', slackUserId: PEOPLE.alice.id }, severity: 'critical' });
    const dm = await dmOf(t, PEOPLE.alice.id, flow._id);
    const shown = JSON.stringify(dm.blocks);
    for (const fact of ['Login from a new country', 'Lisbon, PT', 'Firefox on Linux', '203.0.113.7', `Case #${flow.caseNumber}`]) expect(shown).toContain(fact);
    expect(buttonsOf(dm).map((b) => b.text?.text)).toEqual(['Yes, it was me', 'No', 'Not sure']);
    expect(JSON.parse(buttonsOf(dm)[0]!.value!)).toEqual({ f: flow._id, c: flow.caseNumber, a: 'yes' });
    expect(slack.callsTo('conversations.open').some((c) => c.args.users === PEOPLE.alice.id)).toBe(true);

    const reply = await click(t, PEOPLE.alice.id, dm, 'yes', dmChannel(PEOPLE.alice.id));
    expect(reply.text).toContain('Yes, it was me');
    const done = await flowIn(t, flow._id, 'resolved');
    expect(done.userAnswer).toMatchObject({ answer: 'yes', by: PEOPLE.alice.id });
    const c = await waitUntil(async () => {
      const x = await t.taser.cases.store.get(flow.caseId);
      return x?.status === 'closed' ? x : null;
    }, 'the case closed');
    expect(c).toMatchObject({ resolution: 'false_positive', alertIds: [alert._id] });
    // The buttons are replaced by what was answered and when.
    const updated = await waitUntil(() => slack.messagesIn(dmChannel(PEOPLE.alice.id)).find((m) => m.ts === dm.ts && buttonsOf(m).length === 0), 'the DM updated');
    expect(JSON.stringify(updated.blocks)).toMatch(/answered \*Yes, it was me\* at \d{4}-/);
    const kinds = (await caseEvents(t, flow.caseId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['created', 'confirmation_started', 'confirmation_answered', 'confirmation_transition', 'closed']));
    const transitions = await t.taser.confirmations.store.history(flow._id);
    expect(transitions.map((x) => `${x.from}->${x.to}:${x.cause}:${x.by}`)).toEqual(['new->pending_user:started:taser', `pending_user->resolved:answer:${PEOPLE.alice.id}`]);
    const history = (await t.taser.correlation.alerts.get(alert._id))!.history;
    expect(history.some((h) => h.kind === 'confirmation' && h.note === 'User answered: Yes, it was me')).toBe(true);
    expect(pd.events).toEqual([]);
  });

  it('only the user may answer: someone else gets an ephemeral refusal (audited); a double click and a second answer change nothing and say so', async () => {
    const alert = await signal(t, 'login_new_device', { email: 'alice@example.com', src_ip: '198.51.100.1' });
    const flow = await flowOf(t, alert._id);
    const dm = await dmOf(t, PEOPLE.alice.id, flow._id);

    const refused = await click(t, PEOPLE.mallory.id, dm, 'yes', dmChannel(PEOPLE.alice.id));
    expect(refused.response_type).toBe('ephemeral');
    expect(refused.text).toMatch(/only <@U0ALICE01> may answer/);
    expect((await t.taser.confirmations.store.get(flow._id))!.state).toBe('pending_user');
    expect((await caseEvents(t, flow.caseId)).find((e) => e.kind === 'confirmation_refused')).toMatchObject({ actor: PEOPLE.mallory.id });
    expect(t.logs.some((l) => l.audit === 'confirmation_refused' && l.user === PEOPLE.mallory.id)).toBe(true);

    const first = await click(t, PEOPLE.alice.id, dm, 'yes', dmChannel(PEOPLE.alice.id));
    expect(first.text).toContain('Thanks');
    // The identical click again (a double click): it runs once, and the clicker is told so.
    const double = await click(t, PEOPLE.alice.id, dm, 'yes', dmChannel(PEOPLE.alice.id));
    expect(double).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^You already answered this at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>; nothing changed\.$/) });
    const again = await click(t, PEOPLE.alice.id, dm, 'no', dmChannel(PEOPLE.alice.id));
    expect(again.text).toMatch(/already answered \*Yes, it was me\*.*changed nothing/);
    const done = await flowIn(t, flow._id, 'resolved');
    expect(done.userAnswer?.answer).toBe('yes');
    // The answer is on the alert card too: redrawn at once (chat.update), saying who answered what. (No case
    // event redraws it here: the case stays open.)
    const card = await waitUntil(async () => {
      const d = await t.taser.database.db.collection<{ _id: string; status: string; ts?: string }>('plugin_alerts_deliveries').findOne({ _id: alert._id });
      return d?.ts ? d : null;
    }, 'the card');
    const update = await waitUntil(() => slack.callsTo('chat.update').find((c) => c.args.ts === card.ts && JSON.stringify(c.args.blocks).includes('User answered: Yes, it was me')), 'the card updated with the answer');
    expect(JSON.stringify(update.args.blocks)).toContain(`(<@${PEOPLE.alice.id}>, <!date^`);
    // onYes: keep -> the case stays open for an analyst.
    expect((await t.taser.cases.store.get(flow.caseId))!.status).toBe('open');
    expect((await caseEvents(t, flow.caseId)).filter((e) => e.kind === 'confirmation_answered')).toHaveLength(1);
  });

  it('No: escalated at once: on-call (from PagerDuty) is assigned the case and DMed its link, a critical alert pages, closing the case resolves the page', async () => {
    const alert = await signal(t, 'login_new_country', { email: 'alice@example.com', src_ip: '203.0.113.8' });
    const flow = await flowOf(t, alert._id);
    const dm = await dmOf(t, PEOPLE.alice.id, flow._id);
    await click(t, PEOPLE.alice.id, dm, 'no', dmChannel(PEOPLE.alice.id));
    const escalated = await flowIn(t, flow._id, 'escalated');
    expect(escalated.oncall).toMatchObject({ email: 'carol@example.com', slackUserId: PEOPLE.carol.id });
    expect(escalated.manager).toBeUndefined();
    await waitUntil(async () => (await t.taser.cases.store.get(flow.caseId))?.assignee === PEOPLE.carol.id, 'the case assigned to on-call');
    const told = await waitUntil(() => slack.messagesIn(dmChannel(PEOPLE.carol.id)).find((m) => JSON.stringify(m.blocks).includes(`Case #${flow.caseNumber}*`)), 'the on-call DM');
    expect(JSON.stringify(told.blocks)).toContain(`https://soc.example.com/cases/${flow.caseNumber}`);

    const trigger = await waitUntil(() => pd.events.find((e) => e.event_action === 'trigger' && e.dedup_key === flow.caseId), 'the PagerDuty trigger');
    expect(trigger).toMatchObject({ routing_key: ROUTING_KEY, payload: { severity: 'critical', source: `taser case #${flow.caseNumber}` } });
    await waitUntil(async () => (await caseEvents(t, flow.caseId)).some((e) => e.kind === 'page_sent'), 'page_sent on the case');

    await t.taser.cases.api.close({ kind: 'system' }, flow.caseId, { resolution: 'true_positive', summary: 'account reset' });
    const resolve = await waitUntil(() => pd.events.find((e) => e.event_action === 'resolve' && e.dedup_key === flow.caseId), 'the PagerDuty resolve');
    expect(resolve.routing_key).toBe(ROUTING_KEY);
    expect(pd.events.filter((e) => e.dedup_key === flow.caseId)).toHaveLength(2);
  });

  it('Not sure: the manager (USER_MANAGER) is DMed with the user\'s answer; Legit resolves, and a late click says it changed nothing', async () => {
    const alert = await signal(t, 'login_new_device', { email: 'alice@example.com', src_ip: '198.51.100.2' });
    const flow = await flowOf(t, alert._id);
    const dm = await dmOf(t, PEOPLE.alice.id, flow._id);
    await click(t, PEOPLE.alice.id, dm, 'not_sure', dmChannel(PEOPLE.alice.id));
    const asked = await flowIn(t, flow._id, 'pending_manager');
    expect(asked.manager).toBeDefined();
    const managerDm = await dmOf(t, PEOPLE.bob.id, flow._id);
    expect(JSON.stringify(managerDm.blocks)).toContain('They answered: Not sure.');
    expect(buttonsOf(managerDm).map((b) => b.text?.text)).toEqual(['Legit', 'Not legit', "Don't know"]);
    // The user cannot answer the manager's question.
    expect((await click(t, PEOPLE.alice.id, managerDm, 'legit', dmChannel(PEOPLE.bob.id))).text).toMatch(/only <@U0BOB0001> may answer/);

    await click(t, PEOPLE.bob.id, managerDm, 'legit', dmChannel(PEOPLE.bob.id));
    const done = await flowIn(t, flow._id, 'resolved');
    expect(done.managerAnswer).toMatchObject({ answer: 'legit', by: PEOPLE.bob.id });
    expect((await click(t, PEOPLE.bob.id, managerDm, 'not_legit', dmChannel(PEOPLE.bob.id))).text).toMatch(/already answered|changed nothing/);
    expect((await t.taser.confirmations.store.get(flow._id))!.state).toBe('resolved');
  });

  it('silence: the user times out -> the manager; Not legit -> on-call, no page for a medium alert', async () => {
    const alert = await signal(t, 'silent_medium', { email: 'alice@example.com', src_ip: '198.51.100.3' });
    const flow = await flowOf(t, alert._id);
    const dm = await dmOf(t, PEOPLE.alice.id, flow._id);
    const waiting = await flowIn(t, flow._id, 'pending_manager', 20_000);
    expect((await t.taser.confirmations.store.history(flow._id)).find((x) => x.from === 'pending_user')).toMatchObject({ cause: 'timeout', by: 'taser' });
    expect(waiting.userAnswer).toBeUndefined();
    // The user's DM now says the time ran out; a late Yes is recorded but the manager decides.
    await waitUntil(() => slack.messagesIn(dmChannel(PEOPLE.alice.id)).find((m) => m.ts === dm.ts && JSON.stringify(m.blocks).includes('No answer by')), 'the user DM settled');
    const managerDm = await dmOf(t, PEOPLE.bob.id, flow._id);
    expect(JSON.stringify(managerDm.blocks)).toContain('They have not answered.');
    await click(t, PEOPLE.bob.id, managerDm, 'not_legit', dmChannel(PEOPLE.bob.id));
    const escalated = await flowIn(t, flow._id, 'escalated');
    expect(escalated.oncall?.slackUserId).toBe(PEOPLE.carol.id);
    await new Promise((r) => setTimeout(r, 500));
    expect(pd.events.filter((e) => e.dedup_key === flow.caseId)).toEqual([]);
  });

  it('silence all the way: user and manager time out -> on-call assigned -> a critical alert pages once', async () => {
    const alert = await signal(t, 'silent_critical', { email: 'alice@example.com', src_ip: '203.0.113.9' });
    const flow = await flowOf(t, alert._id);
    const escalated = await flowIn(t, flow._id, 'escalated', 30_000);
    const causes = (await t.taser.confirmations.store.history(flow._id)).map((x) => `${x.from}->${x.to}:${x.cause}`);
    expect(causes).toEqual(['new->pending_user:started', 'pending_user->pending_manager:timeout', 'pending_manager->escalated:timeout']);
    expect(escalated.state).toBe('escalated');
    // The state is written when the transition is claimed; the on-call lookup follows.
    const oncall = await waitUntil(async () => (await t.taser.confirmations.store.get(flow._id))?.oncall, 'on-call found');
    expect(oncall.slackUserId).toBe(PEOPLE.carol.id);
    await waitUntil(() => pd.events.find((e) => e.dedup_key === flow.caseId && e.event_action === 'trigger'), 'the page');
    await new Promise((r) => setTimeout(r, 1000));
    expect(pd.events.filter((e) => e.dedup_key === flow.caseId)).toHaveLength(1);
    // A manager's click after the flow moved on changes nothing and says so.
    const managerDm = slack.messagesIn(dmChannel(PEOPLE.bob.id)).find((m) => JSON.stringify(m.blocks).includes(`Case #${flow.caseNumber}`))!;
    const late = await click(t, PEOPLE.bob.id, { ts: managerDm.ts, blocks: [{ type: 'actions', elements: [{ action_id: 'confirmations:answer:legit', value: JSON.stringify({ f: flow._id, c: flow.caseNumber, a: 'legit' }) }] }] }, 'legit', dmChannel(PEOPLE.bob.id));
    expect(late.text).toMatch(/already escalated.*changed nothing/);
  });

  it('a user taser cannot resolve goes straight to the manager step, with the reason recorded', async () => {
    const alert = await signal(t, 'login_new_device', { email: 'ghost@example.com', src_ip: '192.0.2.99' });
    const flow = await flowOf(t, alert._id);
    const done = await flowIn(t, flow._id, 'escalated');
    expect(done.userUnresolved).toMatch(/USER_INFO/);
    expect(done.managerUnresolved).toBeDefined();
    const transitions = await t.taser.confirmations.store.history(flow._id);
    expect(transitions.find((x) => x.from === 'pending_user')).toMatchObject({ to: 'pending_manager', cause: 'unresolved' });
    expect((await caseEvents(t, flow.caseId)).find((e) => e.kind === 'confirmation_started')?.data).toMatchObject({ unresolved: expect.stringMatching(/USER_INFO/) });
  });

  it('/case confirm N @user starts a flow by hand; /case flows N shows where it stands; closing the case cancels it', async () => {
    const alert = await signal(t, 'odd_login', { email: 'dave@example.com', src_ip: '192.0.2.4' });
    const c = await t.taser.cases.api.create({ kind: 'system' }, { title: 'Odd login of dave', severity: 'high', team: 'identity', alertIds: [alert._id] });
    const started = await command(t, `confirm ${c.number} <@${PEOPLE.dave.id}|dave> did you log in from Oslo?`, PEOPLE.soc.id);
    expect(started.text).toContain(`Case #${c.number}: asked`);
    const [flow] = await t.taser.confirmations.store.forCase(c._id);
    expect(flow).toMatchObject({ state: 'pending_user', question: 'did you log in from Oslo?', createdBy: PEOPLE.soc.id, user: { slackUserId: PEOPLE.dave.id } });
    const dm = await dmOf(t, PEOPLE.dave.id, flow!._id);
    expect(JSON.stringify(dm.blocks)).toContain('did you log in from Oslo?');
    const shown = await command(t, `flows ${c.number}`, PEOPLE.soc.id);
    expect(shown.text).toContain(`\`${flow!._id}\`: *pending user*`);
    expect((await command(t, `confirm ${c.number} <@${PEOPLE.dave.id}>`, PEOPLE.mallory.id)).text).toMatch(/may not/i);

    await t.taser.cases.api.close({ kind: 'system' }, c._id, { resolution: 'other', summary: 'handled elsewhere' });
    await flowIn(t, flow!._id, 'cancelled');
    await waitUntil(() => slack.messagesIn(dmChannel(PEOPLE.dave.id)).find((m) => m.ts === dm.ts && JSON.stringify(m.blocks).includes('withdrawn')), 'the DM withdrawn');
    expect((await click(t, PEOPLE.dave.id, dm, 'yes', dmChannel(PEOPLE.dave.id))).text).toMatch(/already cancelled.*changed nothing/);
  });

  it('the Ask user button on the alert card asks the alert\'s user', async () => {
    const alert = await signal(t, 'odd_login', { email: 'dave@example.com', src_ip: '192.0.2.5' });
    const card = await waitUntil(async () => {
      const d = await t.taser.database.db.collection<{ _id: string; status: string; channel: string; ts: string }>('plugin_alerts_deliveries').findOne({ _id: alert._id });
      return d?.status === 'posted' ? d : null;
    }, 'the card');
    const message = slack.messagesIn(card.channel).find((m) => m.ts === card.ts);
    const ask = buttonsOf(message).find((b) => b.action_id === 'confirmations:ask-user');
    expect(ask?.text?.text).toBe('Ask user');
    const reply = await click(t, PEOPLE.soc.id, { ts: card.ts, blocks: message!.blocks }, 'ask-user', card.channel);
    expect(reply.text).toMatch(/asked dave/);
    const flow = await flowOf(t, alert._id);
    expect(flow.createdBy).toBe(PEOPLE.soc.id);
    await dmOf(t, PEOPLE.dave.id, flow._id);
  });

  it('HTTP API: POST starts a flow (400 names bad fields, 403 without the right group); GET shows where it stands', async () => {
    const alert = await signal(t, 'odd_login', { email: 'dave@example.com', src_ip: '192.0.2.6' });
    const api = (method: string, path: string, key: string, body?: unknown) =>
      fetch(`${t.taser.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const bad = await api('POST', '/api/v1/confirmations', 'soc-key-0123456789', { user: '' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/alertId.*give alertId or caseId|whom to ask/);
    expect((await api('POST', '/api/v1/confirmations', 'read-key-0123456789', { alertId: alert._id, user: 'dave@example.com' })).status).toBe(403);
    const created = await api('POST', '/api/v1/confirmations', 'soc-key-0123456789', { alertId: alert._id, user: 'dave@example.com', question: 'Was this you?' });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; state: string; createdBy: string; transitions: unknown[] };
    expect(body).toMatchObject({ state: 'pending_user', createdBy: 'api:soc', transitions: [{ from: 'new', to: 'pending_user' }] });
    const got = await api('GET', `/api/v1/confirmations/${body.id}`, 'read-key-0123456789');
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: body.id, user: { slackUserId: PEOPLE.dave.id } });
    expect((await api('GET', '/api/v1/confirmations/nope', 'read-key-0123456789')).status).toBe(400);
    expect((await api('GET', '/api/v1/confirmations/0123456789abcdef01234567', 'read-key-0123456789')).status).toBe(404);
  });
});
