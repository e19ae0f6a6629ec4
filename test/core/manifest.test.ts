// The Slack app manifests are generated from what the plugins register and declare; the files in manifests/
// are that output for the shipped plugins, so a plugin that adds a command, scope or event fails this test
// until the files are regenerated (the command to run is in the failure message).
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse } from 'yaml';
import { renderManifest } from '../../src/app/manifest-command.js';
import { buildManifest } from '../../src/app/manifests.js';
import { slackNeedsProblems } from '../../src/plugins/slack-needs.js';
import { MANIFESTS_DIR } from '../../src/app/paths.js';
import { runTaser } from '../support/cli.js';

type Manifest = {
  features: { slash_commands?: { command: string; url?: string; should_escape: boolean }[]; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions?: { bot_events: string[]; request_url?: string }; socket_mode_enabled: boolean; interactivity: { request_url?: string } };
};

describe('Slack app manifests', () => {
  it.each(['socket', 'http'] as const)('manifests/%s-mode.yaml is what `taser manifest --all-plugins` prints', async (mode) => {
    const generated = await renderManifest({ mode, allPlugins: true });
    const file = readFileSync(join(MANIFESTS_DIR, `${mode}-mode.yaml`), 'utf8');
    expect(file, `regenerate it: npx taser manifest --all-plugins --mode ${mode} > manifests/${mode}-mode.yaml`).toBe(generated);
  });

  it('declares exactly the slash commands plugins handle, and the scopes and events they use', async () => {
    const m = parse(await renderManifest({ mode: 'http', allPlugins: true, url: 'https://bot.corp.example/' })) as Manifest;
    expect(m.features.slash_commands!.map((c) => c.command)).toEqual(['/case', '/positron', '/taser']);
    // /case names people (`/case assign 12 @ana`): Slack must send mentions as ids.
    expect(m.features.slash_commands!.map((c) => c.should_escape)).toEqual([true, false, false]);
    expect(m.features.slash_commands!.every((c) => c.url === 'https://bot.corp.example/slack/events')).toBe(true);
    expect(m.settings.event_subscriptions).toEqual({ request_url: 'https://bot.corp.example/slack/events', bot_events: ['app_home_opened', 'app_mention', 'message.channels', 'message.groups'] });
    expect(m.features.app_home.home_tab_enabled).toBe(true);
    // History scopes only for the card outbox's look for a card it may have posted before a crash.
    // History scopes for the card outbox's look for a card it may have posted before a crash, and case channels.
    expect(m.oauth_config.scopes.bot).toEqual(['app_mentions:read', 'channels:history', 'channels:manage', 'chat:write', 'commands', 'files:write', 'groups:history', 'groups:write', 'im:write', 'pins:write', 'usergroups:read', 'users.profile:read', 'users:read', 'users:read.email']);
  });

  it('follows a deployment config: disabled plugins and unused ACL lookups bring nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taser-manifest-'));
    try {
      const config = join(dir, 'taser.yaml');
      writeFileSync(config, 'plugins:\n  home:\n    enabled: false\n  positron:\n    enabled: false\ngroups:\n  soc:\n    users: [U0SOC0001]\n');
      const m = parse(await renderManifest({ mode: 'socket', config })) as Manifest;
      expect(m.features.slash_commands!.map((c) => c.command)).toEqual(['/case', '/taser']);
      expect(m.settings.event_subscriptions).toEqual({ bot_events: ['message.channels', 'message.groups'] });
      expect(m.settings.socket_mode_enabled).toBe(true);
      // files:write and im:write: /case export uploads to the asker's DM.
      // confirmations (on by default) DMs people it finds by e-mail: im:write, users:read, users:read.email.
      expect(m.oauth_config.scopes.bot).toEqual(['channels:history', 'channels:manage', 'chat:write', 'commands', 'files:write', 'groups:history', 'groups:write', 'im:write', 'pins:write', 'users:read', 'users:read.email']);
      expect(m.features.app_home.home_tab_enabled).toBe(false);

      writeFileSync(config, 'plugins:\n  slack-profiles:\n    enabled: true\ngroups:\n  soc:\n    usergroups: [S0SOC0001]\n');
      const m2 = parse(await renderManifest({ mode: 'socket', config })) as Manifest;
      expect(m2.oauth_config.scopes.bot).toEqual(['app_mentions:read', 'channels:history', 'channels:manage', 'chat:write', 'commands', 'files:write', 'groups:history', 'groups:write', 'im:write', 'pins:write', 'usergroups:read', 'users.profile:read', 'users:read', 'users:read.email']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives the scope an event needs, and checks a declaration against the listeners', () => {
    const m = buildManifest({
      plugins: [{ namespace: 'x', definition: { namespace: 'x', description: 'x', setup: () => {}, slack: { events: ['message.channels', 'message.im'] } } }],
      routes: { commands: [] },
      mode: 'socket',
      groups: {},
    }) as unknown as Manifest;
    expect(m.oauth_config.scopes.bot).toEqual(['channels:history', 'chat:write', 'im:history']);
    expect(m.features.slash_commands).toBeUndefined();

    expect(slackNeedsProblems('x', { events: ['message.channels'] }, ['message'])).toEqual([]);
    expect(slackNeedsProblems('x', undefined, ['message'])).toEqual([
      'plugin "x": listens to "message" events but slack.events does not subscribe to them (e.g. "message.channels")',
    ]);
    expect(slackNeedsProblems('x', { events: ['reaction_added'] }, [])).toEqual([
      'plugin "x": slack.events declares "reaction_added" but no plugin.event({ event: "reaction_added" }) handles it',
    ]);
  });

  it('taser manifest prints YAML; a bad --mode is a usage error (exit 2)', async () => {
    const ok = await runTaser(['manifest', '--mode', 'http', '--url', 'https://taser.corp.example'], {});
    expect(ok.code).toBe(0);
    expect((parse(ok.stdout) as Manifest).settings.interactivity.request_url).toBe('https://taser.corp.example/slack/events');
    const bad = await runTaser(['manifest', '--mode', 'carrier-pigeon'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/carrier-pigeon/);
  }, 90_000);
});
