// A deployment repository end to end, as a team lives it, on the image's file layout (dist/ built by
// `npm run build`, no Docker engine): `taser init` writes it; its workflows pass actionlint with pinned actions;
// the pull request checks its workflow runs (.github/checks.sh) pass on what init wrote; taser starts from the
// image with the repository's TypeScript plugin and serves its command; a broken plugin fails with reasons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyDeploymentDockerfile, assembleTaserImage, REPO_ROOT } from '../support/image-layout.js';
import { startTaserProcess } from '../support/cli.js';
import { startSlackFake, type SlackFake } from '../support/slack-fake.js';
import { freshDbUri } from '../support/db.js';
import { sendSlackRequest, slackCommandBody } from '../support/slack-requests.js';

const ACTIONLINT_VERSION = 'v1.7.12';
const scratch = mkdtempSync(join(tmpdir(), 'taser-deploy-'));
const app = join(scratch, 'app');
const repo = join(scratch, 'repo');

interface Run { code: number; stdout: string; stderr: string; out: string }
function exec(file: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLACK_|MONGODB_URI|TASER_|PORT$|LOG_LEVEL|NODE_OPTIONS)/.test(k)));
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...clean, ...env }, maxBuffer: 16 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr, out: stdout + stderr });
    });
  });
}
/** `taser ...` as the image runs it: node bin/taser.js from /app (compiled dist/, no src/). */
const taser = (args: string[], cwd = app) => exec(process.execPath, [join(app, 'bin', 'taser.js'), ...args], cwd);
/** A step of the pull request workflow, as `docker run -v .github:/app/ci candidate ci/checks.sh STEP` runs it. */
const check = (...step: string[]) => exec('sh', ['ci/checks.sh', ...step], app);

/** Re-applies the repository onto the image, as `docker build` of its Dockerfile does, and mounts .github as ci/. */
function buildCandidate(): Record<string, string> {
  rmSync(join(app, 'deploy'), { recursive: true, force: true });
  rmSync(join(app, 'ci'), { recursive: true, force: true });
  const env = applyDeploymentDockerfile(repo, app);
  cpSync(join(repo, '.github'), join(app, 'ci'), { recursive: true });
  return env;
}

async function actionlint(): Promise<string> {
  const dir = join(homedir(), '.cache', 'taser', `actionlint-${ACTIONLINT_VERSION}`);
  const bin = join(dir, 'actionlint');
  if (!existsSync(bin)) {
    const built = await exec('go', ['install', `github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}`], tmpdir(), { GOBIN: dir });
    if (built.code !== 0) throw new Error(`cannot build actionlint with go install (is Go installed?):\n${built.out}`);
  }
  return bin;
}

let actionlintBin: string;
beforeAll(async () => {
  actionlintBin = await actionlint();
  await assembleTaserImage(app);
}, 600_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('taser init', () => {
  it('writes the deployment repository, and refuses a folder that is not empty', async () => {
    const init = await taser(['init', repo, '--image', 'ghcr.io/acme/taser:1.2.3', '--owners', '@acme/soc'], scratch);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    for (const file of ['taser.yaml', 'Dockerfile', 'compose.yaml', 'CODEOWNERS', 'README.md', '.github/workflows/pull-request.yaml', '.github/workflows/deploy.yaml', '.github/checks.sh', 'plugins/hello/index.ts', 'plugins/hello/README.md', 'plugins/hello/hello.test.ts']) {
      expect(existsSync(join(repo, file)), file).toBe(true);
    }
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toContain('ARG TASER_IMAGE=ghcr.io/acme/taser:1.2.3');
    expect(readFileSync(join(repo, 'CODEOWNERS'), 'utf8')).toMatch(/^\* @acme\/soc$/m);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toMatch(/## Add a plugin/);
    const again = await taser(['init', repo], scratch);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty/);
  });

  it('writes workflows that pass actionlint and use only actions pinned to a full commit SHA', async () => {
    const workflows = readdirSync(join(repo, '.github', 'workflows')).map((f) => join(repo, '.github', 'workflows', f));
    const lint = await exec(actionlintBin, ['-no-color', ...workflows], repo);
    expect(lint.out).toBe('');
    expect(lint.code).toBe(0);
    for (const file of workflows) {
      const uses = [...readFileSync(file, 'utf8').matchAll(/uses:\s*(\S+)/g)].map((m) => m[1]!);
      expect(uses.length).toBeGreaterThan(0);
      for (const ref of uses) expect(ref, `${file}: ${ref}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    }
    // With shellcheck on the PATH, actionlint has checked the run: scripts too; check the checks script as well.
    const shellcheck = await exec('shellcheck', [join(repo, '.github', 'checks.sh')], repo);
    if (shellcheck.code !== 127 && !/ENOENT/.test(shellcheck.out)) expect(shellcheck.out).toBe('');
    const pr = parseYaml(readFileSync(join(repo, '.github/workflows/pull-request.yaml'), 'utf8')) as { on: Record<string, unknown>; jobs: { check: { steps: { run?: string }[] } } };
    expect(Object.keys(pr.on)).toEqual(['pull_request']);
    const runs = pr.jobs.check.steps.map((s) => s.run ?? '').join('\n');
    for (const step of ['checks.sh config', 'checks.sh plugins', 'checks.sh tests', 'checks.sh manifest-diff', 'GITHUB_STEP_SUMMARY']) expect(runs).toContain(step);
    expect(readFileSync(join(repo, '.github/workflows/deploy.yaml'), 'utf8')).toMatch(/branches: \[main\][\s\S]*docker push/);
  });

  it("passes the pull request checks its workflow runs, on the image's layout", async () => {
    buildCandidate();
    const config = await check('config');
    expect(config.out).toMatch(/config check passed: deploy\/taser\.yaml \(plugins enabled: .*hello/);
    expect(config.code).toBe(0);
    const plugins = await check('plugins');
    expect(plugins.out).toMatch(/plugin check passed: deploy\/plugins\/hello\//);
    expect(plugins.code).toBe(0);
    const tests = await check('tests');
    expect(tests.out).toMatch(/# pass 2\n# fail 0/);
    expect(tests.code).toBe(0);
  }, 300_000);

  it('writes a manifest diff that names the new slash commands and scopes for the Slack admin', async () => {
    const base = join(app, 'dist', 'manifests', 'http-mode.yaml');
    const manifest = parseYaml(readFileSync(base, 'utf8')) as { features: { slash_commands: { command: string }[] }; oauth_config: { scopes: { bot: string[] } } };
    manifest.features.slash_commands.push({ command: '/vuln' });
    manifest.oauth_config.scopes.bot.push('files:read');
    manifest.oauth_config.scopes.bot = manifest.oauth_config.scopes.bot.filter((s) => s !== 'groups:history');
    mkdirSync(join(app, 'out'), { recursive: true });
    writeFileSync(join(app, 'out', 'head.json'), JSON.stringify(manifest));
    const diff = await check('manifest-diff', base, 'out/head.json');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('- **new** slash command: `/vuln`');
    expect(diff.stdout).toContain('- **new** bot scope: `files:read`');
    expect(diff.stdout).toContain('- removed bot scope: `groups:history`');
    expect(diff.stdout).toMatch(/A Slack admin must add these/);
    const same = await check('manifest-diff', base, base);
    expect(same.stdout).toMatch(/nothing for a Slack admin to approve/);
  });
});

describe('the image runs the repository\'s TypeScript plugins', () => {
  let slack: SlackFake;
  beforeAll(async () => {
    slack = await startSlackFake({ token: 'xoxb-deploy' });
  });
  afterAll(async () => slack?.stop());

  it('starts from dist/ with the external plugin folder and serves its slash command', async () => {
    const imageEnv = buildCandidate();
    expect(existsSync(join(app, 'src'))).toBe(false);
    const secret = 'deploy-signing-secret';
    const proc = startTaserProcess(['start', '--http'], {
      ...imageEnv,
      SLACK_BOT_TOKEN: 'xoxb-deploy',
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slack.apiUrl,
      MONGODB_URI: freshDbUri('deploy'),
      PORT: '0',
    }, { bin: join(app, 'bin', 'taser.js'), cwd: app });
    try {
      const running = await proc.waitForLog((l) => l.msg === 'taser is running', 120_000);
      expect(running.plugins).toContain('hello');
      const url = String(running.url);
      const res = await sendSlackRequest(`${url}/slack/events`, slackCommandBody({ command: '/taser', text: 'hello world', responseUrl: slack.responseUrl() }), { secret });
      expect(res.status).toBe(200);
      const reply = await slack.waitForResponse((r) => JSON.stringify(r.body).includes('Hello, world!'), 10_000);
      expect(reply.body).toMatchObject({ text: 'Hello, world!' });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('# TYPE taser_http_client_requests_total counter');
    } finally {
      await proc.stop();
    }
  }, 180_000);
});

describe('a broken plugin in a pull request', () => {
  it('fails config check, plugin check and the tests, each with its reasons', async () => {
    const added = await taser(['plugin', 'new', 'vuln', '--kind', 'command', '--dir', join(repo, 'plugins')], scratch);
    expect(added.code).toBe(0);
    const index = join(repo, 'plugins', 'vuln', 'index.ts');
    // A new slash command (the manifest diff names it), a listener for an event it does not declare (plugin check
    // refuses it), and a behaviour change its own test catches.
    writeFileSync(
      index,
      readFileSync(index, 'utf8')
        .replace("command: '/taser'", "command: '/vuln'")
        .replace('setup(plugin) {', "setup(plugin) {\n    plugin.event({ event: 'app_mention', async handler() {} });")
        .replace('`${ctx.config.greeting}, ', '`${ctx.config.greeting}; '),
    );
    mkdirSync(join(repo, 'plugins', 'untested'));
    cpSync(join(repo, 'plugins', 'hello', 'index.ts'), join(repo, 'plugins', 'untested', 'index.ts'));
    const untested = join(repo, 'plugins', 'untested', 'index.ts');
    writeFileSync(untested, readFileSync(untested, 'utf8').replaceAll("'hello'", "'untested'"));
    writeFileSync(join(repo, 'taser.yaml'), `${readFileSync(join(repo, 'taser.yaml'), 'utf8')}\n# the pull request's change:\n`.replace('plugins:\n', 'plugins:\n  vuln:\n    enabled: true\n    greeting: 42\n'));
    buildCandidate();

    const config = await check('config');
    expect(config.code).toBe(1);
    expect(config.stderr).toMatch(/^plugins\.vuln\.greeting: .*found 42\)$/m);
    expect(config.stderr).toMatch(/config check failed: deploy\/taser\.yaml \(\d+ problem\(s\)\)/);

    const plugins = await check('plugins');
    expect(plugins.code).toBe(1);
    expect(plugins.stderr).toMatch(/FAIL .*listens to "app_mention" events but slack\.events does not subscribe to them/);
    expect(plugins.out).toMatch(/plugin check passed: deploy\/plugins\/hello\//);

    const tests = await check('tests');
    expect(tests.code).toBe(1);
    expect(tests.out).toMatch(/FAIL deploy\/plugins\/untested\/: no test/);
    expect(tests.out).toMatch(/not ok \d+ - \/taser vuln greets whom it is told, or the caller/);
  }, 300_000);
});
