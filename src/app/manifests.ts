// The Slack app manifest, generated from what the enabled plugins register (slash commands, event listeners)
// and declare (`slack: { scopes, events, homeTab }` in definePlugin), plus what the core itself calls. So a
// Slack admin approves only scopes something uses, and every declared slash command has a handler.
// `taser manifest` prints it; manifests/*.yaml are this output for the shipped plugins (a test compares them).
import { stringify } from 'yaml';
import type { GroupConfig } from './config.js';
import type { SlackMode } from './slack-app.js';
import type { LoadedPlugin } from '../plugins/loader.js';
import type { RouteTable } from '../plugins/routes.js';

/** Where a deployment's public host goes in an HTTP-mode manifest when none is given. */
export const EXAMPLE_PUBLIC_URL = 'https://taser.example.com';

/** Scopes a bot event needs, by Slack's events reference; events absent here need none. */
const EVENT_SCOPES: Record<string, string> = {
  app_mention: 'app_mentions:read',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.im': 'im:history',
  'message.mpim': 'mpim:history',
  member_joined_channel: 'channels:read',
  reaction_added: 'reactions:read',
  team_join: 'users:read',
};

export interface ManifestInput {
  plugins: Pick<LoadedPlugin, 'namespace' | 'definition'>[];
  routes: Pick<RouteTable, 'commands'>;
  mode: SlackMode;
  /** HTTP mode: the public base URL that reaches taser (its /slack/events). */
  publicUrl?: string;
  /** The config's ACL groups; absent: assume every kind of group (e-mail and user group members) is used. */
  groups?: Record<string, GroupConfig>;
  /** The web console when enabled: Sign in with Slack's redirect URL, and whether a trusted proxy names users by e-mail. */
  console?: { redirectUrl?: string; trustedProxy: boolean };
}

interface Needs {
  scopes: Set<string>;
  events: Set<string>;
  homeTab: boolean;
}

/** What the core calls on its own: DMs when a form lost its handler, and ACL group lookups. */
function coreNeeds(groups: Record<string, GroupConfig> | undefined): Needs {
  const all = groups === undefined ? undefined : Object.values(groups);
  const scopes = new Set(['chat:write']);
  if (!all || all.some((g) => g.emails.length > 0)) {
    scopes.add('users:read'); // users.info
    scopes.add('users:read.email'); // the e-mail in its answer
  }
  if (!all || all.some((g) => g.usergroups.length > 0)) scopes.add('usergroups:read');
  return { scopes, events: new Set(), homeTab: false };
}

function collectNeeds(input: ManifestInput): Needs {
  const needs = coreNeeds(input.groups);
  for (const { definition } of input.plugins) {
    for (const scope of definition.slack?.scopes ?? []) needs.scopes.add(scope);
    for (const event of definition.slack?.events ?? []) {
      needs.events.add(event);
      const scope = EVENT_SCOPES[event];
      if (scope) needs.scopes.add(scope);
    }
    if (definition.slack?.homeTab) needs.homeTab = true;
  }
  if (input.routes.commands.length) needs.scopes.add('commands');
  // The console's trusted-header mode maps an e-mail to a Slack user (users.lookupByEmail).
  if (input.console?.trustedProxy) needs.scopes.add('users:read').add('users:read.email');
  return needs;
}

interface ManifestCommand {
  command: string;
  url?: string;
  description: string;
  usage_hint?: string;
  should_escape: boolean;
}

/** One manifest entry per slash command: a whole-command owner describes itself, subcommands are listed. */
function slashCommands(routes: ManifestInput['routes'], url: string | undefined): ManifestCommand[] {
  const bySlash = new Map<string, ManifestInput['routes']['commands']>();
  for (const route of routes.commands) bySlash.set(route.def.command, [...(bySlash.get(route.def.command) ?? []), route]);
  return [...bySlash.keys()].sort().map((command) => {
    const routesOf = bySlash.get(command)!;
    const whole = routesOf.find((r) => r.def.subcommand === undefined);
    const subcommands = routesOf.map((r) => r.def.subcommand).filter((s): s is string => s !== undefined).sort();
    // Slack shows the description in its command picker: the first clause is enough there.
    const helpedBy = subcommands.includes('help') ? `${command} help` : '/taser help';
    const description = whole ? whole.def.description.split(/;\s/)[0]! : `${subcommands.join(', ')} (${helpedBy} lists them)`;
    const hint = whole ? whole.def.usage.replace(command, '').trim() : subcommands.join(' | ');
    return {
      command,
      ...(url ? { url } : {}),
      description: description.length > 100 ? `${description.slice(0, 99)}…` : description,
      ...(hint ? { usage_hint: hint.length > 100 ? `${hint.slice(0, 99)}…` : hint } : {}),
      should_escape: routesOf.some((r) => r.def.escapesMentions === true),
    };
  });
}

/** The manifest as an object, in the field order Slack's own export uses. */
export function buildManifest(input: ManifestInput): Record<string, unknown> {
  const needs = collectNeeds(input);
  const http = input.mode === 'http';
  const url = http ? `${(input.publicUrl ?? EXAMPLE_PUBLIC_URL).replace(/\/+$/, '')}/slack/events` : undefined;
  const events = [...needs.events].sort();
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: 'taser',
      description: 'Security alerts, cases and Positron queries in Slack',
      background_color: '#1d2b3a',
    },
    features: {
      app_home: { home_tab_enabled: needs.homeTab, messages_tab_enabled: true, messages_tab_read_only_enabled: false },
      bot_user: { display_name: 'taser', always_online: true },
      ...(input.routes.commands.length ? { slash_commands: slashCommands(input.routes, url) } : {}),
    },
    oauth_config: {
      // Sign in with Slack (the web console): OpenID Connect's user scopes and the console's callback.
      ...(input.console?.redirectUrl ? { redirect_urls: [input.console.redirectUrl] } : {}),
      scopes: { bot: [...needs.scopes].sort(), ...(input.console?.redirectUrl ? { user: ['email', 'openid', 'profile'] } : {}) },
    },
    settings: {
      ...(events.length ? { event_subscriptions: { ...(url ? { request_url: url } : {}), bot_events: events } } : {}),
      interactivity: { is_enabled: true, ...(url ? { request_url: url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: !http,
      token_rotation_enabled: false,
    },
  };
}

/** The manifest as YAML with a header saying where it came from. */
export function manifestYaml(input: ManifestInput, origin: string): string {
  const header = [
    `# Slack app manifest for taser in ${input.mode === 'http' ? 'HTTP mode (taser start --http)' : 'Socket Mode (taser start)'}.`,
    `# Generated by \`${origin}\` from what the plugins register: do not edit by hand.`,
    '# Create the app at https://api.slack.com/apps > Create New App > From an app manifest, then install it.',
    ...(input.mode === 'http' && !input.publicUrl ? [`# Replace ${EXAMPLE_PUBLIC_URL} with the public host that reaches taser's /slack/events.`] : []),
  ];
  return `${header.join('\n')}\n${stringify(buildManifest(input), { lineWidth: 0 })}`;
}
