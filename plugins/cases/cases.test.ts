// Cases in Slack end to end: a signal through the real HTTP route becomes an alert card; its Create case and
// Add to case buttons, the modals and /case go as signed requests through the real Bolt receiver; what taser
// says is read from the Slack fake, what it stored from the database. No case backend: cases live in taser.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_SIGNING_SECRET, type TestApp } from '../../test/support/app.js';
import { blockActionsBody, sendSlackRequest, slackCommandBody, viewSubmissionBody } from '../../test/support/slack-requests.js';
import { waitUntil } from '../../test/support/wait.js';
import { alertWithCard, buttonsOf, startCasesApp } from '../../test/cases/slack-app.js';

describe('cases in Slack', { timeout: 60_000 }, () => {
  let t: TestApp;
  const send = (body: Parameters<typeof sendSlackRequest>[1]) => sendSlackRequest(t.slackUrl, body, { secret: TEST_SIGNING_SECRET });
  const command = async (text: string, userId: string, id: string, channelId = 'C0APPSEC') => {
    await send(slackCommandBody({ command: '/case', text, userId, channelId, responseUrl: t.slack.responseUrl(id) }));
    return (await t.slack.waitForResponse((r) => r.id === id, 20_000)).body as { text: string; response_type: string; blocks?: unknown };
  };
  const click = (actionId: string, value: string | undefined, userId: string, where: { channel: string; ts: string }, id: string) =>
    send(blockActionsBody({ actionId, value, userId, channelId: where.channel, messageTs: where.ts, responseUrl: t.slack.responseUrl(id), triggerId: `trig-${id}` }));
  const cardMessage = (where: { channel: string; ts: string }) => t.slack.messagesIn(where.channel).find((m) => m.ts === where.ts);

  beforeAll(async () => {
    t = await startCasesApp();
  });
  afterAll(async () => {
    await t?.stop();
    await t?.slack.stop();
  });
  beforeEach(() => t.slack.reset());

  it('alert card -> Create case -> modal prefilled from the alert -> case stored with its observables -> thread reply and card updated', async () => {
    const where = await alertWithCard(t, 'web01', { src_ip: '10.1.2.3', user: 'alice' });
    const create = buttonsOf(cardMessage(where)).find((b) => b.action_id === 'cases:create-from-alert');
    expect(create, 'the Create case button').toBeDefined();
    await click('cases:create-from-alert', create!.value, 'U0APPSEC1', where, 'create');
    const open = await t.slack.waitForCall('views.open', (c) => c.args.trigger_id === 'trig-create', 20_000);
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: { block_id?: string; element?: { initial_value?: string; initial_option?: { value: string } } }[] };
    expect(view.callback_id).toBe('cases:new');
    const block = (id: string) => view.blocks.find((b) => b.block_id === id)!.element!;
    expect(block('title').initial_value).toBe('AppSec finding (host=web01)');
    expect(block('severity').initial_option?.value).toBe('medium');
    expect(block('team').initial_value).toBe('appsec');

    const res = await send(viewSubmissionBody({
      userId: 'U0APPSEC1', callbackId: view.callback_id, privateMetadata: view.private_metadata,
      values: {
        title: { value: { type: 'plain_text_input', value: 'SQLi on web01' } },
        description: { value: { type: 'plain_text_input', value: null } },
        severity: { value: { type: 'static_select', selected_option: { value: 'high' } } },
        team: { value: { type: 'plain_text_input', value: 'appsec' } },
        assignee: { value: { type: 'users_select', selected_user: 'U0APPSEC1' } },
      },
    }));
    expect(res.status).toBe(200);
    const c = await waitUntil(() => t.taser.cases.store.getByNumber(1), 'case #1 stored', 30_000);
    expect(c).toMatchObject({ title: 'SQLi on web01', severity: 'high', team: 'appsec', assignee: 'U0APPSEC1', createdBy: 'U0APPSEC1', alertIds: [where.alert._id], backend: { name: 'taser', sync: 'synced' } });
    expect(c.observables.map((o) => `${o.field}=${o.value}`).sort()).toEqual(['hostname=web01', 'src_ip=10.1.2.3', 'username=alice']); // canonical field names

    const reply = await t.slack.waitForCall('chat.postMessage', (m) => m.args.thread_ts === where.ts, 20_000);
    expect(String(reply.args.text)).toContain('<https://soc.example.com/cases/1|Case #1: SQLi on web01>');
    await t.slack.waitForCall('chat.update', (m) => m.args.ts === where.ts, 20_000);
    const card = cardMessage(where)!;
    expect(JSON.stringify(card.blocks)).toContain('Case #1: SQLi on web01');
    expect(buttonsOf(card).map((b) => b.action_id)).not.toContain('cases:create-from-alert');
  });

  it('refuses Create case to someone outside the team and the SOC: no modal, an ephemeral answer, audited', async () => {
    const where = await alertWithCard(t, 'web02', { src_ip: '10.1.2.4' });
    const create = buttonsOf(cardMessage(where)).find((b) => b.action_id === 'cases:create-from-alert')!;
    await click('cases:create-from-alert', create.value, 'U0OUTSIDE', where, 'deny');
    const answer = await t.slack.waitForResponse((r) => r.id === 'deny', 20_000);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.body.text)).toMatch(/You may not create cases for team appsec/);
    expect(t.slack.callsTo('views.open')).toEqual([]);
    expect(await t.taser.database.db.collection('case_audit').findOne({ actor: 'U0OUTSIDE' })).toMatchObject({ action: 'create', team: 'appsec', outcome: 'denied' });
    expect(t.logs.some((l) => l.audit === 'case_acl_denied' && l.actor === 'U0OUTSIDE')).toBe(true);
  });

  it('Add to case: pick an open case, the alert and its artifacts join it', async () => {
    const where = await alertWithCard(t, 'web03', { domain: 'evil.example' });
    const add = buttonsOf(cardMessage(where)).find((b) => b.action_id === 'cases:add-to-case')!;
    await click('cases:add-to-case', add.value, 'U0APPSEC1', where, 'add');
    const open = await t.slack.waitForCall('views.open', (c) => c.args.trigger_id === 'trig-add', 20_000);
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: { element: { options: { value: string; text: { text: string } }[] } }[] };
    const option = view.blocks[0]!.element.options.find((o) => o.text.text.startsWith('#1 '))!;
    await send(viewSubmissionBody({ userId: 'U0APPSEC1', callbackId: view.callback_id, privateMetadata: view.private_metadata, values: { case: { value: { type: 'static_select', selected_option: { value: option.value } } } } }));
    const c = await waitUntil(async () => {
      const found = await t.taser.cases.store.getByNumber(1);
      return found?.observables.some((o) => o.value === 'evil.example') ? found : null;
    }, 'the alert and its artifacts added to case #1', 30_000);
    expect(c.alertIds).toContain(where.alert._id);
    expect(c.observables.map((o) => o.value)).toContain('evil.example');
    await t.slack.waitForCall('chat.update', (m) => m.args.ts === where.ts, 20_000);
    expect(JSON.stringify(cardMessage(where)!.blocks)).toContain('Case #1');
  });

  it('/case new, show, list, assign, add-alert, close (leads only), reopen, retry-sync and help', async () => {
    const opened = await command('new Laptop stolen', 'U0APPSEC1', 'new');
    expect(opened).toMatchObject({ response_type: 'in_channel' });
    expect(opened.text).toContain('<https://soc.example.com/cases/2|Case #2: Laptop stolen>');
    const two = (await t.taser.cases.store.getByNumber(2))!;
    expect(two).toMatchObject({ team: 'appsec', severity: 'medium', createdBy: 'U0APPSEC1' }); // team from the channel

    expect((await command('show 2', 'U0OUTSIDE', 'show')).text).toMatch(/Case #2: Laptop stolen[\s\S]*medium[\s\S]*assigned to nobody/);
    const listed = await command('list', 'U0APPSEC1', 'list');
    expect(listed.text).toMatch(/Case #2[\s\S]*Case #1/);
    expect((await command('assign 2 <@U0APPSEC1|u0appsec1>', 'U0APPSEC1', 'assign')).text).toMatch(/Assigned to <@U0APPSEC1>: <https:\/\/soc.example.com\/cases\/2\|Case #2/);
    expect((await command('list mine', 'U0APPSEC1', 'mine')).text).toContain('Case #2');

    const another = await alertWithCard(t, 'web04', { sha256: 'ab'.repeat(32) });
    expect((await command(`add-alert 2 ${another.alert._id}`, 'U0APPSEC1', 'add-alert')).text).toContain('Case #2');
    expect((await t.taser.cases.store.getByNumber(2))!.observables.map((o) => o.field)).toContain('sha256');

    expect((await command('close 2 true-positive laptop wiped', 'U0APPSEC1', 'close-denied')).text).toMatch(/You may not close cases for case #2: that takes membership of `leads` or `admins`/);
    expect((await command('close 2 maybe', 'U0LEAD01', 'close-bad')).text).toMatch(/one of `true_positive`/);
    expect((await command('close 2 true-positive laptop wiped', 'U0LEAD01', 'close')).text).toMatch(/Closed as true positive: <https:\/\/soc.example.com\/cases\/2\|Case #2/);
    expect(await t.taser.cases.store.getByNumber(2)).toMatchObject({ status: 'closed', resolution: 'true_positive', summary: 'laptop wiped', closedBy: 'U0LEAD01' });
    expect((await command('reopen 2', 'U0LEAD01', 'reopen')).text).toContain('Reopened');
    expect((await command('retry-sync 2', 'U0APPSEC1', 'retry-denied')).text).toMatch(/membership of `admins`/);
    expect((await command('retry-sync 2', 'U0ADMIN1', 'retry')).text).toMatch(/not failed: nothing to retry/);
    expect((await command('show 99', 'U0APPSEC1', 'missing')).text).toMatch(/no case 99/);

    const help = await command('', 'U0OUTSIDE', 'help');
    for (const usage of ['/case new [TITLE]', '/case show N', '/case list', '/case assign N', '/case close N RESOLUTION', '/case reopen N', '/case add-alert N ALERT_ID', '/case retry-sync N']) {
      expect(help.text).toContain(usage);
    }
    const kinds = (await t.taser.cases.store.eventsAfter(two._id, 0)).map((e) => `${e.kind}:${e.actor}`);
    expect(kinds).toEqual(['created:U0APPSEC1', 'updated:U0APPSEC1', 'alerts_added:U0APPSEC1', 'observables_added:U0APPSEC1', 'closed:U0LEAD01', 'reopened:U0LEAD01']);
  });

  it('/case new without a title opens the form; a bad field keeps it open, naming the field', async () => {
    await send(slackCommandBody({ command: '/case', text: 'new', userId: 'U0SOC001', channelId: 'C0DEFAULT', responseUrl: t.slack.responseUrl('form'), triggerId: 'trig-form' }));
    const open = await t.slack.waitForCall('views.open', (c) => c.args.trigger_id === 'trig-form', 20_000);
    const view = open.args.view as { callback_id: string; private_metadata: string };
    const res = await send(viewSubmissionBody({
      userId: 'U0SOC001', callbackId: view.callback_id, privateMetadata: view.private_metadata,
      values: { title: { value: { type: 'plain_text_input', value: 'Odd DNS' } }, severity: { value: { type: 'static_select', selected_option: { value: 'low' } } }, team: { value: { type: 'plain_text_input', value: 'Bad Team!' } } },
    }));
    expect(res.json).toMatchObject({ response_action: 'errors', errors: { team: expect.stringMatching(/team name/) } });
    await send(viewSubmissionBody({
      userId: 'U0SOC001', callbackId: view.callback_id, privateMetadata: view.private_metadata,
      values: { title: { value: { type: 'plain_text_input', value: 'Odd DNS' } }, severity: { value: { type: 'static_select', selected_option: { value: 'low' } } } },
    }));
    const made = await waitUntil(async () => (await t.taser.cases.service.list({ limit: 1 })).cases.find((c) => c.title === 'Odd DNS'), 'the case from the form', 30_000);
    expect(made.team).toBeUndefined();
    const told = await t.slack.waitForCall('chat.postEphemeral', (c) => c.args.user === 'U0SOC001', 20_000);
    expect(String(told.args.text)).toContain(`Case #${made.number}: Odd DNS`);
  });
});
