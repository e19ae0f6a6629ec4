// The help plugin through the real receiver: the command, the action that opens a modal, the view
// submission, and the job that delivers the question to the admin channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../../test/support/app.js';
import { blockActionsBody, sendSlackRequest, slackCommandBody, viewSubmissionBody } from '../../test/support/slack-requests.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/plugins/ok', import.meta.url));
const ADMIN_CHANNEL = 'C0ADMIN01';

describe('help plugin', () => {
  let t: TestApp;
  const send = (body: Parameters<typeof sendSlackRequest>[1]) => sendSlackRequest(t.slackUrl, body, { secret: TEST_SIGNING_SECRET });

  beforeAll(async () => {
    t = await startTestApp({
      // The built-in help plugin next to the test plugins, whose /taser secret is limited to admins.
      pluginDirs: [BUILTIN_PLUGINS_DIR, fixtures],
      file: { plugins: { help: { adminChannel: ADMIN_CHANNEL } }, groups: { admins: { users: ['U0ADMIN1'] } } },
    });
    t.slack.addChannel({ id: ADMIN_CHANNEL, name: 'taser-admins' });
  });
  afterAll(async () => t?.stop());

  it('lists only the commands the caller may run', async () => {
    await send(slackCommandBody({ command: '/taser', text: 'help', responseUrl: t.slack.responseUrl('alice') }));
    const alice = JSON.stringify((await t.slack.waitForResponse((r) => r.id === 'alice')).body.blocks);
    expect(alice).toContain('/taser help');
    expect(alice).toContain('/taser alpha');
    expect(alice).not.toContain('/taser secret');

    await send(slackCommandBody({ command: '/taser', text: '', userId: 'U0ADMIN1', responseUrl: t.slack.responseUrl('admin') }));
    const admin = JSON.stringify((await t.slack.waitForResponse((r) => r.id === 'admin')).body.blocks);
    expect(admin).toContain('/taser secret');
  });

  it('opens the question modal, stores the answer, and a job delivers it to the admin channel', async () => {
    await send(blockActionsBody({ actionId: 'help:ask', responseUrl: t.slack.responseUrl('ask'), triggerId: 'trigger-ask-1' }));
    const open = await t.slack.waitForCall('views.open');
    expect(open.args.trigger_id).toBe('trigger-ask-1');
    const view = open.args.view as { callback_id: string; blocks: { block_id: string; element: { action_id: string } }[] };
    expect(view.callback_id).toBe('help:ask');

    const block = view.blocks[0]!;
    const res = await send(
      viewSubmissionBody({
        callbackId: view.callback_id,
        values: { [block.block_id]: { [block.element.action_id]: { type: 'plain_text_input', value: 'Please add <!channel> support' } } },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.text).toBe(''); // plain ack closes the modal

    const post = await t.slack.waitForCall('chat.postMessage', (c) => c.args.channel === ADMIN_CHANNEL, 10_000);
    expect(JSON.stringify(post.args.blocks)).toContain('Please add &lt;!channel&gt; support');
    await expect
      .poll(async () => (await t.taser.database.db.collection('plugin_help_questions').findOne({}))?.deliveredAt, { timeout: 5000 })
      .toBeInstanceOf(Date);
  });

  it('keeps the modal open with a field error when the question is empty', async () => {
    const res = await send(viewSubmissionBody({ callbackId: 'help:ask', values: { question: { text: { type: 'plain_text_input', value: '   ' } } } }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ response_action: 'errors', errors: { question: 'Please write your question.' } });
  });
});
