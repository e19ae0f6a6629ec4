// Positron's three interfaces give the same answers: /positron through the real receiver, the HTTP API with
// an API key, and the `taser positron` command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { sendSlackRequest, slackCommandBody } from '../support/slack-requests.js';
import { runTaser } from '../support/cli.js';
import { testMongoUri } from '../support/db.js';
import { BUILTIN_PLUGINS_DIR } from '../../src/app/paths.js';

const providers = fileURLToPath(new URL('../fixtures/plugins/providers', import.meta.url));
const API_KEY = 'cortex-key-0123456789abcdef';
const fileConfig = {
  plugins: { 'static-hosts': { enabled: true, hosts: { '10.1.2.3': 'web01.corp.example' } }, 'broken-dns': { enabled: true } },
  groups: { soc: { users: ['U0SOC001'] } },
  positron: { acl: { IP_TO_HOSTNAME: ['soc'] } },
  apiKeys: { cortex: { keyEnv: 'POSITRON_KEY_CORTEX', groups: ['soc'] }, intern: { keyEnv: 'POSITRON_KEY_INTERN', groups: [] } },
};

describe('Positron interfaces', () => {
  let t: TestApp;
  const slash = (text: string, id: string, userId = 'U0SOC001') =>
    sendSlackRequest(t.slackUrl, slackCommandBody({ command: '/positron', text, userId, responseUrl: t.slack.responseUrl(id) }), { secret: TEST_SIGNING_SECRET });
  const api = (query: string, body: unknown, key = API_KEY) =>
    fetch(`${t.taser.url}/api/v1/positron/${query}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    t = await startTestApp({
      pluginDirs: [BUILTIN_PLUGINS_DIR, providers],
      file: fileConfig,
      env: { POSITRON_KEY_CORTEX: API_KEY, POSITRON_KEY_INTERN: 'intern-key-0123456789abcdef' },
    });
  });
  afterAll(async () => t?.stop());

  it('/positron answers with the result card, ephemeral unless --share', async () => {
    await slash('IP_TO_HOSTNAME 10.1.2.3', 'q1');
    const reply = (await t.slack.waitForResponse((r) => r.id === 'q1')).body;
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('IP_TO_HOSTNAME 10.1.2.3: web01.corp.example');
    expect(JSON.stringify(reply.blocks)).toContain('from static-hosts:static-hosts');
    await slash('IP_TO_HOSTNAME 10.1.2.3 --share', 'q2');
    expect((await t.slack.waitForResponse((r) => r.id === 'q2')).body.response_type).toBe('in_channel');
  });

  it('/positron gives the usage line for bad arguments, refuses outsiders, and lists allowed queries', async () => {
    await slash('IP_TO_HOSTNAME not-an-ip', 'bad');
    expect((await t.slack.waitForResponse((r) => r.id === 'bad')).body.text).toMatch(/usage: IP_TO_HOSTNAME <ip>/);
    await slash('IP_TO_HOSTNAME 10.1.2.3', 'outsider', 'U0OTHER1');
    expect((await t.slack.waitForResponse((r) => r.id === 'outsider')).body.text).toBe('You are not allowed to run IP_TO_HOSTNAME.');
    await slash('NOPE x', 'unknown');
    expect((await t.slack.waitForResponse((r) => r.id === 'unknown')).body.text).toMatch(/unknown query NOPE.*\/positron help/);
    await slash('help', 'help-outsider', 'U0OTHER1');
    const outsiderHelp = JSON.stringify((await t.slack.waitForResponse((r) => r.id === 'help-outsider')).body.blocks);
    // Refused queries are listed, marked, with the group they need; queries nobody answers say so.
    expect(outsiderHelp).toContain(':no_entry_sign: ~/positron IP_TO_HOSTNAME &lt;ip&gt;~');
    expect(outsiderHelp).toContain('_Not for you: it needs the group `soc`._');
    expect(outsiderHelp).toContain('`/positron HOSTNAME_TO_IP &lt;hostname&gt;`');
    expect(outsiderHelp).toMatch(/~\/positron DOMAIN_INFO &lt;domain&gt;~\\n[^"]*\\n_No enabled plugin answers it/);
    await slash('', 'help-soc');
    const socHelp = JSON.stringify((await t.slack.waitForResponse((r) => r.id === 'help-soc')).body.blocks);
    expect(socHelp).toContain('`/positron IP_TO_HOSTNAME &lt;ip&gt;`');
    expect(socHelp).not.toContain('Not for you');
  });

  it('a failed provider\'s reason is in the Slack answer', async () => {
    await slash('HOSTNAME_TO_IP web01.corp.example', 'failed');
    const reply = (await t.slack.waitForResponse((r) => r.id === 'failed')).body;
    const blocks = JSON.stringify(reply.blocks);
    expect(blocks).toContain('No answer: every provider failed (reasons below).');
    expect(blocks).toContain(':warning: broken-dns:broken-dns: resolver 10.0.0.53 unreachable (ECONNREFUSED)');
  });

  it('the HTTP API answers with an API key mapped to groups, and refuses the rest', async () => {
    const ok = await api('IP_TO_HOSTNAME', { ip: '10.1.2.3' });
    expect(ok.status).toBe(200);
    const result = (await ok.json()) as { top: { summary: string } };
    expect(result.top.summary).toBe('web01.corp.example');
    expect((await api('IP_TO_HOSTNAME', { args: ['10.1.2.3'] })).status).toBe(200);
    expect((await api('IP_TO_HOSTNAME', { ip: '10.1.2.3' }, 'wrong-key-0123456789abcdef')).status).toBe(401);
    expect((await api('IP_TO_HOSTNAME', { ip: '10.1.2.3' }, 'intern-key-0123456789abcdef')).status).toBe(403);
    expect((await api('IP_TO_HOSTNAME', { ip: 'nope' })).status).toBe(400);
    expect((await api('NOPE', {})).status).toBe(404);
  });

  it('the CLI gives the same answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taser-positron-cli-'));
    const configPath = join(dir, 'taser.yaml');
    writeFileSync(configPath, stringify({ plugins: fileConfig.plugins, pluginPaths: [providers] }));
    // The same database as the running bot: same cache, same audit.
    const uri = new URL(testMongoUri());
    uri.pathname = `/${t.taser.database.db.databaseName}`;
    const { code, stdout, stderr } = await runTaser(['positron', 'IP_TO_HOSTNAME', '10.1.2.3', '--json'], { TASER_CONFIG: configPath, MONGODB_URI: uri.toString() });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const viaCli = JSON.parse(stdout) as { top: { summary: string; sources: unknown } };
    const viaApi = (await (await api('IP_TO_HOSTNAME', { ip: '10.1.2.3' })).json()) as { top: { summary: string; sources: unknown } };
    expect(viaCli.top.summary).toBe(viaApi.top.summary);
    expect(viaCli.top.sources).toEqual(viaApi.top.sources);

    const failed = await runTaser(['positron', 'HOSTNAME_TO_IP', 'web01.corp.example'], { TASER_CONFIG: configPath, MONGODB_URI: uri.toString() });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('  failed: broken-dns:broken-dns: resolver 10.0.0.53 unreachable (ECONNREFUSED)');

    const bad = await runTaser(['positron', 'IP_TO_HOSTNAME'], { TASER_CONFIG: configPath, MONGODB_URI: uri.toString() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage: IP_TO_HOSTNAME <ip>');
    const audit = await t.taser.database.db.collection('positron_audit').find({ caller: /^cli:/ }).toArray();
    expect(audit.map((a) => a.outcome).sort()).toEqual(['answered', 'invalid', 'no_answer']);
  }, 120_000);
});
