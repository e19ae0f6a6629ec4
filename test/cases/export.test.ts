// Case verify and export through the real HTTP server and the real `taser` command, and /case export through
// the real Bolt receiver and the Slack fake's external upload: a seeded history of signals and alerts (stored
// as ingestion stores them), a case holding two of its alerts, its hash-chained log.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { runTaser } from '../support/cli.js';
import { testMongoUri } from '../support/db.js';
import { fakeFiles } from '../support/slack-fake-files.js';
import { sendSlackRequest, slackCommandBody } from '../support/slack-requests.js';
import { waitUntil } from '../support/wait.js';
import { SignalStore } from '../../src/signals/store.js';
import type { Signal } from '../../src/signals/signal.js';
import { eventId } from '../../src/cases/store.js';
import { storeAlert } from './helpers.js';
import { startCasesApp } from './slack-app.js';

const KEY = 'reader-api-key-0123456789abcdef';
const soc = { actor: 'U0SOC001', isMember: async () => true };

const unzip = (args: string[]) => execFileSync('unzip', args, { encoding: 'utf8' });
/** RFC 4180 rows (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += ch;
  }
  return rows;
}
const table = (text: string) => {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
};

describe('case verify and export', { timeout: 600_000 }, () => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  const signals: Signal[] = [];
  let alertIds: string[] = [];

  const get = (path: string, key: string | null = KEY) => fetch(`${t.taser.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    t = await startCasesApp({ file: { apiKeys: { reader: { keyEnv: 'READER_KEY', groups: [] } } }, env: { READER_KEY: KEY } });
    dir = mkdtempSync(join(tmpdir(), 'taser-export-test-'));
    const now = Date.now();
    const sig = (id: string, minutesAgo: number, artifacts: Record<string, string | string[]>, extra: Record<string, unknown> = {}): Signal =>
      ({ id, source: 'okta', type: 'sso_login_new_location', occurredAt: new Date(now - minutesAgo * 60_000).toISOString(), artifacts, ...extra }) as Signal;
    signals.push(
      sig('a1', 50, { username: 'Alice', src_ip: '10.0.0.1' }, { raw: { city: 'Oslo' } }),
      sig('a2', 40, { user_name: 'alice', src_ip: '10.0.0.2' }, { title: '=HYPERLINK("http://evil")' }),
      sig('b1', 30, { username: 'bob', src_ip: '10.0.0.1' }),
      sig('c1', 20, { username: 'carol' }),
      sig('d1', 60 * 24 * 40, { username: 'dave' }),
    );
    await new SignalStore(t.taser.database.db).insert(signals);
    const keys = (ids: string[]) => ids.map((i) => `okta/${i}`);
    const a = await storeAlert(t.taser.database.db, { username: ['alice'], src_ip: ['10.0.0.1', '10.0.0.2'] }, { ruleId: 'new-location', signals: keys(['a1', 'a2']), signalCount: 2 });
    const b = await storeAlert(t.taser.database.db, { username: ['alice', 'bob'] }, { ruleId: 'new-location', signals: keys(['a1', 'b1']), signalCount: 2 });
    await storeAlert(t.taser.database.db, { username: ['carol'] }, { ruleId: 'other-rule', signals: keys(['c1']), signalCount: 1 });
    await storeAlert(t.taser.database.db, { username: ['dave'] }, { ruleId: 'new-location', signals: keys(['d1']), signalCount: 1, firstSeen: new Date(now - 40 * 86_400_000), lastSeen: new Date(now - 40 * 86_400_000) });
    alertIds = [a._id, b._id];
    const c = await t.taser.cases.service.create(soc, { title: 'Exported', severity: 'high', team: 'appsec', alertIds });
    await t.taser.cases.service.update(soc, c._id, { assignee: 'U0SOC001' });
    await t.taser.cases.service.create(soc, { title: 'To tamper with', severity: 'low' });
    const uri = new URL(testMongoUri());
    uri.pathname = `/${t.taser.database.db.databaseName}`;
    env = { MONGODB_URI: uri.toString() };
  });
  afterAll(async () => {
    await t?.stop();
    await t?.slack.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a case log over HTTP and in the CLI; the case shows its head', async () => {
    const c = (await t.taser.cases.store.getByNumber(1))!;
    const res = await get('/api/v1/cases/1/verify');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, entries: c.lastSeq, head: c.headHash });
    const shown = (await (await get('/api/v1/cases/1')).json()) as { log: unknown };
    expect(shown.log).toEqual({ entries: c.lastSeq, head: c.headHash });
    const cli = await runTaser(['case', 'verify', '1'], env, 300_000);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`head ${c.headHash}`);
    expect((await get('/api/v1/cases/1/verify', null)).status).toBe(401);
    expect((await get('/api/v1/cases/99/verify')).status).toBe(404);
    expect((await get('/api/v1/cases/not-a-case/verify')).status).toBe(400);
  });

  it('reports a changed entry at its sequence number, and the CLI exits 1', async () => {
    const c = (await t.taser.cases.store.getByNumber(2))!;
    await t.taser.cases.service.update(soc, c._id, { title: 'Renamed' });
    await t.taser.cases.store.events.updateOne({ _id: eventId(c._id, 1) }, { $set: { actor: 'someone-else' } });
    const body = (await (await get('/api/v1/cases/2/verify')).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: false, seq: 1, problem: 'hash_mismatch' });
    const cli = await runTaser(['case', 'verify', '2', '--json'], env, 300_000);
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, seq: 1 });
  });

  it('exports a case as one JSON document that matches what was stored', async () => {
    const res = await get('/api/v1/cases/1/export?format=json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('case-1.json');
    const doc = (await res.json()) as Record<string, any>;
    const c = (await t.taser.cases.store.getByNumber(1))!;
    expect(doc.case).toMatchObject({ id: c._id, number: 1, title: 'Exported', assignee: 'U0SOC001', log: { entries: c.lastSeq, head: c.headHash } });
    expect(doc.alerts.map((a: { id: string }) => a.id)).toEqual(alertIds);
    expect(doc.signals.map((s: { alertId: string; key: string }) => `${s.alertId}:${s.key}`)).toEqual([`${alertIds[0]}:okta/a1`, `${alertIds[0]}:okta/a2`, `${alertIds[1]}:okta/a1`, `${alertIds[1]}:okta/b1`]);
    expect(doc.signals[0].signal).toEqual(signals[0]); // decoded as ingested, raw included
    const alice = doc.artifacts.find((a: { field: string; value: string }) => a.field === 'username' && a.value === 'alice');
    expect(alice).toMatchObject({ sourceFields: ['user_name', 'username'], alertIds, signalCount: 3, firstSeen: signals[0]!.occurredAt, lastSeen: signals[1]!.occurredAt });
    const events = await t.taser.cases.store.eventsAfter(c._id, 0, 100);
    expect(doc.log.entries).toEqual(events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), actor: e.actor, kind: e.kind, data: JSON.parse(JSON.stringify(e.data)), prevHash: e.prevHash, hash: e.hash })));
    expect(doc.log.verify).toEqual({ ok: true, entries: events.length, head: c.headHash });
    expect(doc.log.head).toBe(c.headHash);
  });

  it('exports CSV as a zip of one file per table that unzip opens, with formula cells guarded', async () => {
    const res = await get('/api/v1/cases/1/export?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const zipPath = join(dir, 'case-1.zip');
    writeFileSync(zipPath, Buffer.from(await res.arrayBuffer()));
    expect(unzip(['-tq', zipPath])).toMatch(/No errors detected/);
    const names = unzip(['-Z1', zipPath]).trim().split('\n').sort();
    expect(names).toEqual(['alerts', 'artifact_sightings', 'artifacts', 'case', 'log', 'signals'].map((n) => `case-1/${n}.csv`));
    const read = (name: string) => table(unzip(['-p', zipPath, `case-1/${name}.csv`]));
    const c = (await t.taser.cases.store.getByNumber(1))!;
    expect(read('case')).toEqual([expect.objectContaining({ id: c._id, number: '1', log_entries: String(c.lastSeq), log_head: c.headHash, log_verified: 'true' })]);
    const sigRows = read('signals');
    expect(sigRows).toHaveLength(4);
    expect(sigRows[1]).toMatchObject({ key: 'okta/a2', title: `'=HYPERLINK("http://evil")`, artifacts: JSON.stringify(signals[1]!.artifacts) });
    expect(read('log').map((r) => r.seq)).toEqual(Array.from({ length: c.lastSeq }, (_, i) => String(i + 1)));
    expect(read('artifact_sightings').filter((r) => r.value === 'alice')).toHaveLength(3);
    expect(read('artifacts').find((r) => r.value === 'alice')).toMatchObject({ field: 'username', alert_count: '2', signal_count: '3' });
    expect((await get('/api/v1/cases/1/export?format=xml')).status).toBe(400);
  });

  it('taser case export writes one file per table into a folder, or one file', async () => {
    const folder = join(dir, 'tables') + '/';
    const res = await runTaser(['case', 'export', '1', '--format', 'csv', '--out', folder], env, 300_000);
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['alerts.csv', 'artifact_sightings.csv', 'artifacts.csv', 'case.csv', 'log.csv', 'signals.csv']);
    expect(table(readFileSync(join(folder, 'signals.csv'), 'utf8'))).toHaveLength(4);
    const file = join(dir, 'one.json');
    expect((await runTaser(['case', 'export', '#1', '--out', file], env, 300_000)).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).case.number).toBe(1);
    expect((await runTaser(['case', 'export', '1', '--format', 'pdf'], env, 300_000)).code).toBe(2);
    expect(existsSync(join(dir, 'nothing'))).toBe(false);
  });

  it('reports every value of a field across alerts of a rule and time range, in JSON and CSV', async () => {
    const res = await get('/api/v1/artifacts?field=username&rule=new-location&since=30d');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { field: string; values: { value: string; alerts: number; signals: number; firstSeen: string; lastSeen: string }[] };
    expect(body.field).toBe('username');
    // a1 is held by both alerts: one signal, counted in each; dave is older than 30 days, carol is another rule's.
    expect(body.values).toEqual([
      { value: 'alice', alerts: 2, signals: 3, firstSeen: signals[0]!.occurredAt, lastSeen: signals[1]!.occurredAt },
      { value: 'bob', alerts: 1, signals: 1, firstSeen: signals[2]!.occurredAt, lastSeen: signals[2]!.occurredAt },
    ]);
    const csv = await get('/api/v1/artifacts?field=user_name&since=90d&format=csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(table(await csv.text()).map((r) => `${r.value}:${r.alerts}`)).toEqual(['alice:2', 'bob:1', 'carol:1', 'dave:1']);
    const cli = await runTaser(['artifacts', '--field', 'src_ip', '--rule', 'new-location', '--since', '2h', '--format', 'csv'], env, 300_000);
    expect(cli.code, cli.stderr).toBe(0);
    expect(table(cli.stdout).map((r) => r.value)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('refuses bad artifact report parameters with 400 naming each', async () => {
    for (const q of ['field=bad%20field', 'field=username&since=forever', 'field=username&since=400d', 'field=username&format=xml', 'since=1d', 'field=username&extra=1']) {
      const res = await get(`/api/v1/artifacts?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { problems: string[] }).problems.length, q).toBeGreaterThan(0);
    }
    expect((await get('/api/v1/artifacts?field=username', null)).status).toBe(401);
    expect((await runTaser(['artifacts', '--field', 'username', '--since', 'soon'], env, 300_000)).code).toBe(2);
  });

  it('/case export uploads the file to the asker with the external upload, into their DM', async () => {
    const send = (body: Parameters<typeof sendSlackRequest>[1]) => sendSlackRequest(t.slackUrl, body, { secret: TEST_SIGNING_SECRET });
    await send(slackCommandBody({ command: '/case', text: 'export 1 csv', userId: 'U0APPSEC1', channelId: 'C0APPSEC', responseUrl: t.slack.responseUrl('export') }));
    const done = await t.slack.waitForResponse((r) => r.id === 'export' && String(r.body.text).startsWith('Sent'), 300_000);
    expect(String(done.body.text)).toContain('case-1-csv.zip');
    const complete = await t.slack.waitForCall('files.completeUploadExternal', () => true, 60_000);
    const ticket = t.slack.callsTo('files.getUploadURLExternal')[0]!;
    expect(ticket.args.filename).toBe('case-1-csv.zip');
    const file = await waitUntil(() => [...fakeFiles(t.slack).values()].find((f) => f.completed), 'the completed upload', 10_000);
    expect(file).toMatchObject({ channel: 'D0APPSEC1', filename: 'case-1-csv.zip', length: Number(ticket.args.length) });
    expect(complete.args.channel_id).toBe('D0APPSEC1');
    const zipPath = join(dir, 'slack.zip');
    writeFileSync(zipPath, file.bytes!);
    expect(unzip(['-Z1', zipPath])).toContain('case-1/signals.csv');
    expect(String(file.initialComment)).toContain((await t.taser.cases.store.getByNumber(1))!.headHash);
  });
});
