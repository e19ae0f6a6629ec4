// The thehive case backend against the TheHive fake over real HTTP, for TheHive 5 and TheHive 4: what lands
// in TheHive for a case, its observables, tasks, logs and alerts, and that a repeated call never doubles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseBackendError, type CaseBackend, type CaseResolution } from '../../src/cases/backend.js';
import { startTheHiveFake, type TheHiveFake } from './thehive-fake.js';
import { aCase, backendFor, signal } from './test-backend.js';

const CUSTOM_FIELDS = { 'taser-case-id': 'string', 'taser-alert-ids': 'string' };

describe.each([5, 4] as const)('thehive backend, TheHive %i', (version) => {
  let fake: TheHiveFake;
  let backend: CaseBackend;

  beforeAll(async () => {
    fake = await startTheHiveFake({ version, organisations: ['SOC', 'Other'], customFields: CUSTOM_FIELDS });
    backend = await backendFor(fake);
  });
  afterAll(async () => fake?.stop());

  it('creates the case with severity, tags, custom fields and a link, in the organisation', async () => {
    const input = aCase({ alertIds: ['a-1', 'a-2'], assignee: 'analyst@example.com' });
    const ref = await backend.createCase(input, signal());
    const stored = fake.cases().find((c) => c._id === ref.id)!;
    expect(stored).toMatchObject({
      title: input.title,
      description: input.description,
      severity: 3,
      tags: ['okta', 'Team:appsec', `taser:case:${input.caseId}`],
      assignee: 'analyst@example.com',
      status: version === 5 ? 'New' : 'Open',
    });
    expect(stored.customFields).toEqual([
      expect.objectContaining({ name: 'taser-case-id', value: input.caseId }),
      expect.objectContaining({ name: 'taser-alert-ids', value: 'a-1, a-2' }),
    ]);
    expect(ref.number).toBe(stored.number);
    expect(ref.url).toBe(version === 5 ? `${fake.url}/cases/${ref.id}/details` : `${fake.url}/index.html#!/case/${ref.id}/details`);
    expect(fake.cases('Other')).toEqual([]);
    const post = fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/case')!;
    expect(post.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(post.headers['x-organisation']).toBe('SOC');
  });

  it('maps artifact fields to dataTypes, with usernames as `other` tagged username', async () => {
    const ref = await backend.createCase(aCase(), signal());
    await backend.addObservables(
      ref,
      [
        { field: 'src_ip', value: '203.0.113.7' },
        { field: 'ip', value: '198.51.100.1', source: 'alert a-1' },
        { field: 'domain', value: 'evil.example' },
        { field: 'fqdn', value: 'www.evil.example' },
        { field: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
        { field: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' },
        { field: 'email', value: 'bob@example.com' },
        { field: 'url', value: 'https://evil.example/x' },
        { field: 'filename', value: 'invoice.pdf.exe' },
        { field: 'username', value: 'bob', tags: ['okta'] },
        { field: 'process_name', value: 'powershell.exe' },
      ],
      signal(),
    );
    const byData = new Map(fake.observables(ref.id).map((o) => [o.data, o]));
    expect(byData.size).toBe(11);
    expect(byData.get('203.0.113.7')).toMatchObject({ dataType: 'ip', tags: ['src_ip'] });
    expect(byData.get('198.51.100.1')).toMatchObject({ dataType: 'ip', message: 'from alert a-1' });
    expect(byData.get('evil.example')).toMatchObject({ dataType: 'domain' });
    expect(byData.get('www.evil.example')).toMatchObject({ dataType: 'fqdn' });
    expect(byData.get('d41d8cd98f00b204e9800998ecf8427e')).toMatchObject({ dataType: 'hash', tags: ['md5'] });
    expect(byData.get('bob@example.com')).toMatchObject({ dataType: 'mail' });
    expect(byData.get('https://evil.example/x')).toMatchObject({ dataType: 'url' });
    expect(byData.get('invoice.pdf.exe')).toMatchObject({ dataType: 'filename' });
    expect(byData.get('bob')).toMatchObject({ dataType: 'other', tags: ['username', 'okta'] });
    expect(byData.get('powershell.exe')).toMatchObject({ dataType: 'other', tags: ['field:process_name'] });
  });

  it('sends many observables of one kind in one call', async () => {
    const ref = await backend.createCase(aCase(), signal());
    const before = fake.requests.length;
    const ips = Array.from({ length: 150 }, (_, i) => ({ field: 'ip', value: `10.0.${Math.floor(i / 250)}.${i % 250}` }));
    await backend.addObservables(ref, ips, signal());
    expect(fake.observables(ref.id)).toHaveLength(150);
    expect(fake.requests.slice(before).filter((r) => r.path.endsWith('/observable'))).toHaveLength(2);
  });

  it('ignores observables TheHive already has, and still adds the new ones', async () => {
    const ref = await backend.createCase(aCase(), signal());
    await backend.addObservables(ref, [{ field: 'ip', value: '192.0.2.1' }, { field: 'ip', value: '192.0.2.3' }], signal());
    // The fake refuses a batch at its first duplicate, having created what came before it.
    const again = ['192.0.2.0', '192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'].map((value) => ({ field: 'ip', value }));
    await backend.addObservables(ref, again, signal());
    await backend.addObservables(ref, again, signal());
    const data = fake.observables(ref.id).map((o) => o.data).sort();
    expect(data).toEqual(['192.0.2.0', '192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']);
  });

  it('finds the first case when a create is retried after its answer was lost: exactly one case', async () => {
    const input = aCase();
    fake.failNext(1, { drop: true, process: true }, { method: 'POST', path: '/api/v1/case' });
    const lost = await backend.createCase(input, signal()).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(CaseBackendError);
    expect((lost as CaseBackendError).retryable).toBe(true);
    const ref = await backend.createCase(input, signal());
    const again = await backend.createCase(input, signal());
    const mine = fake.cases().filter((c) => (c.tags as string[]).includes(`taser:case:${input.caseId}`));
    expect(mine).toHaveLength(1);
    expect(ref.id).toBe(mine[0]!._id);
    expect(again).toEqual(ref);
  });

  it('finds the first case when the create answer timed out', async () => {
    const quick = await backendFor(fake, { timeoutMs: 300 });
    const input = aCase();
    fake.failNext(1, { hang: true, process: true }, { method: 'POST', path: '/api/v1/case' });
    await expect(quick.createCase(input, signal())).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('no answer within 300 ms') });
    await quick.createCase(input, signal());
    expect(fake.cases().filter((c) => (c.tags as string[]).includes(`taser:case:${input.caseId}`))).toHaveLength(1);
  });

  const resolutions: [CaseResolution, string][] = [
    ['true_positive', 'TruePositive'],
    ['false_positive', 'FalsePositive'],
    ['indeterminate', 'Indeterminate'],
    ['duplicate', 'Duplicated'],
    ['other', 'Other'],
  ];
  it.each(resolutions)('closes as %s, with the summary, and reopens', async (resolution, status) => {
    const ref = await backend.createCase(aCase(), signal());
    await backend.closeCase(ref, { resolution, summary: 'Checked with the user' }, signal());
    const closed = fake.cases().find((c) => c._id === ref.id)!;
    if (version === 5) expect(closed).toMatchObject({ status, stage: 'Closed', summary: 'Checked with the user', impactStatus: 'NotApplicable' });
    else expect(closed).toMatchObject({ status: 'Resolved', resolutionStatus: status, summary: 'Checked with the user', impactStatus: 'NotApplicable' });
    await backend.reopenCase(ref, signal());
    const reopened = fake.cases().find((c) => c._id === ref.id)!;
    expect(reopened.status).toBe(version === 5 ? 'InProgress' : 'Open');
    expect(reopened.endDate).toBeUndefined();
  });

  it('updates title, severity and the case tags, keeping the team and taser tags', async () => {
    const input = aCase();
    const ref = await backend.createCase(input, signal());
    await backend.updateCase(ref, { title: 'Renamed', severity: 'critical', tags: ['phishing', 'Team:forged'] }, signal());
    expect(fake.cases().find((c) => c._id === ref.id)).toMatchObject({ title: 'Renamed', severity: 4, tags: ['Team:appsec', `taser:case:${input.caseId}`, 'phishing'] });
    await backend.updateCase(ref, { assignee: 'analyst@example.com' }, signal());
    expect(fake.cases().find((c) => c._id === ref.id)!.assignee).toBe('analyst@example.com');
  });

  it('adds a task once per title and group, and its logs', async () => {
    const ref = await backend.createCase(aCase(), signal());
    const task = await backend.addTask(ref, { title: 'Slack #case-12-phish', group: 'slack', description: 'Messages of the case channel' }, signal());
    expect(await backend.addTask(ref, { title: 'Slack #case-12-phish', group: 'slack' }, signal())).toEqual(task);
    const other = await backend.addTask(ref, { title: 'Slack #case-12-phish', group: 'triage' }, signal());
    expect(other.id).not.toBe(task.id);
    expect(fake.tasks(ref.id)).toEqual([
      expect.objectContaining({ _id: task.id, title: 'Slack #case-12-phish', group: 'slack', description: 'Messages of the case channel' }),
      expect.objectContaining({ _id: other.id, group: 'triage' }),
    ]);
    const taskPost = fake.requests.find((r) => r.method === 'POST' && /task$/.test(r.path))!;
    if (version === 5) expect(taskPost.path).toBe(`/api/v1/case/${ref.id}/task`);
    else expect(taskPost).toMatchObject({ path: '/api/v1/task', body: expect.objectContaining({ caseId: ref.id }) });

    const date = new Date('2026-11-29T22:00:00Z');
    const log = await backend.addTaskLog(ref, task.id, { message: '<@U1> isolated the host', date }, signal());
    // A dated log is found again rather than doubled when its call is repeated.
    expect(await backend.addTaskLog(ref, task.id, { message: '<@U1> isolated the host', date }, signal())).toEqual(log);
    await backend.addTaskLog(ref, task.id, { message: 'undated note' }, signal());
    expect(fake.logs(task.id)).toEqual([
      expect.objectContaining({ _id: log.id, message: '<@U1> isolated the host', date: date.getTime() }),
      expect.objectContaining({ message: 'undated note' }),
    ]);
  });

  it('links an alert once: a TheHive alert merged into the case, its id in the custom field', async () => {
    const input = aCase({ alertIds: ['a-first'] });
    const ref = await backend.createCase(input, signal());
    const link = { alertId: 'a-second', title: 'Brute force on vpn', severity: 'medium' as const, sourceRef: 'rule-bruteforce' };
    await backend.linkAlert(ref, link, signal());
    await backend.linkAlert(ref, link, signal());
    const alerts = fake.alerts().filter((a) => a.sourceRef === 'a-second');
    expect(alerts).toEqual([expect.objectContaining({ type: 'taser', source: 'taser', caseId: ref.id, severity: 2, tags: ['taser:alert:a-second', 'taser:rule:rule-bruteforce'] })]);
    const merges = fake.requests.filter((r) => r.path.includes('/merge/'));
    expect(merges).toHaveLength(1);
    expect(merges[0]!.path).toBe(version === 5 ? `/api/v1/alert/${String(alerts[0]!._id)}/merge/${ref.id}` : `/api/alert/${String(alerts[0]!._id)}/merge/${ref.id}`);
    const fields = fake.cases().find((c) => c._id === ref.id)!.customFields as { name: string; value: unknown }[];
    expect(fields.find((f) => f.name === 'taser-alert-ids')!.value).toBe('a-first, a-second');
    expect(fields.find((f) => f.name === 'taser-case-id')!.value).toBe(input.caseId);
  });
});

describe('thehive backend without the custom fields in TheHive', () => {
  let fake: TheHiveFake;
  beforeAll(async () => {
    fake = await startTheHiveFake({ version: 5 });
  });
  afterAll(async () => fake?.stop());

  it('creates cases and links alerts without custom fields, and without error', async () => {
    const backend = await backendFor(fake);
    const ref = await backend.createCase(aCase(), signal());
    await backend.linkAlert(ref, { alertId: 'x-1', title: 't', severity: 'low', sourceRef: 'r' }, signal());
    expect(fake.cases()[0]!.customFields).toEqual([]);
    expect(fake.requests.find((r) => r.path === '/api/v1/case')!.body).not.toHaveProperty('customFields');
  });

  it('leaves an assignee TheHive does not know off the case, and keeps the case', async () => {
    const backend = await backendFor(fake);
    const ref = await backend.createCase(aCase({ assignee: 'nobody@example.com' }), signal());
    const stored = fake.cases().find((c) => c._id === ref.id)!;
    expect(stored.assignee).toBeUndefined();
  });
});
