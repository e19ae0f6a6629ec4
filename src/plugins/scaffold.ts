// `taser plugin new NAME --kind ...`: writes a plugin folder (index.ts, README.md, a test) that passes
// `taser plugin check` and whose test passes as written, so a team starts from green and edits from there.
// The files import only `taser/plugin` and node's own test runner: they run in the taser image as they are.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PLUGIN_KINDS = ['command', 'source', 'positron', 'job'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

const NAME = /^[a-z][a-z0-9-]{0,30}$/;

interface Files {
  index: string;
  test: string;
  what: string;
  settings: [string, string, string][];
  routes: string;
}

const testHeader = (name: string) => `// Unit tests of the ${name} plugin. Run: node --import tsx --test plugins/${name}/*.test.ts (in the taser image).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadPluginForUnitTest } from 'taser/plugin';

const folder = fileURLToPath(new URL('.', import.meta.url));
`;

function command(name: string): Files {
  return {
    what: `\`/taser ${name}\` answers the person who ran it.`,
    settings: [['greeting', 'string', 'the first word of the answer (default `Hello`)']],
    routes: `command \`/taser ${name}\``,
    index: `// ${name}: /taser ${name} [who] greets someone. Replace the handler with what your team needs.
import { definePlugin, z } from 'taser/plugin';

export default definePlugin({
  namespace: '${name}',
  description: 'Greets someone (replace with what ${name} does)',
  config: z.strictObject({ greeting: z.string().min(1).default('Hello') }),
  enabledByDefault: false,
  exampleConfig: { greeting: 'Hello' },
  setup(plugin) {
    plugin.command({
      command: '/taser',
      subcommand: '${name}',
      usage: '/taser ${name} [who]',
      description: 'Greets someone',
      async handler({ args, user, respond }, ctx) {
        await respond(\`\${ctx.config.greeting}, \${args[0] ?? \`<@\${user.id}>\`}!\`);
      },
    });
  },
});
`,
    test: `${testHeader(name)}
const run = async (settings: Record<string, unknown>, args: string[]) => {
  const plugin = await loadPluginForUnitTest(folder, settings);
  const replies: unknown[] = [];
  await plugin.command('${name}').handler(
    { text: args.join(' '), args, user: { id: 'U0123ABCD' }, channelId: 'C0123ABCD', triggerId: 't', payload: {} as never, respond: async (r) => void replies.push(r), openModal: async () => {} },
    plugin.ctx,
  );
  return replies;
};

test('/taser ${name} greets whom it is told, or the caller', async () => {
  assert.deepEqual(await run({ greeting: 'Hi' }, ['team']), ['Hi, team!']);
  assert.deepEqual(await run({}, []), ['Hello, <@U0123ABCD>!']);
});

test('an empty greeting is refused at load, naming the field', async () => {
  await assert.rejects(loadPluginForUnitTest(folder, { greeting: '' }), /plugins\\.${name}\\.greeting/);
});
`,
  };
}

function source(name: string): Files {
  return {
    what: `\`POST /signals/${name}\` takes the tool's JSON events (one, an array or NDJSON) and maps each to a signal.`,
    settings: [],
    routes: `source \`${name}\` (webhook \`POST /signals/${name}\`; set \`sources.${name}.auth\` in taser.yaml)`,
    index: `// ${name}: a signal source. POST /signals/${name} with the tool's JSON events; each is mapped to a signal
// (id, type, time, severity, artifacts). Change eventSchema and toSignal to the tool's own format.
import { definePlugin, z, type Signal } from 'taser/plugin';

const eventSchema = z.looseObject({
  id: z.string().min(1),
  time: z.string().min(1),
  kind: z.string().min(1),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).optional(),
  host: z.string().optional(),
  user: z.string().optional(),
});

function toSignal(event: z.infer<typeof eventSchema>): Signal {
  return {
    id: event.id,
    source: '${name}',
    type: event.kind,
    occurredAt: event.time,
    ...(event.severity ? { severity: event.severity } : {}),
    artifacts: { ...(event.host ? { host: event.host } : {}), ...(event.user ? { user: event.user } : {}) },
    raw: event,
  };
}

export default definePlugin({
  namespace: '${name}',
  description: 'Signals from ${name} (replace with the tool it reads)',
  enabledByDefault: false,
  setup(plugin) {
    plugin.source({
      name: '${name}',
      map(body) {
        const events: unknown[] = Array.isArray(body) ? body : [body];
        return events.map((event, index) => {
          const parsed = eventSchema.safeParse(event);
          if (!parsed.success) return { index, error: parsed.error.issues.map((i) => \`\${i.path.join('.') || 'event'}: \${i.message}\`).join('; ') };
          return { index, signal: toSignal(parsed.data) };
        });
      },
    });
  },
});
`,
    test: `${testHeader(name)}import { signalSchema } from 'taser/plugin';

test('maps an event to a valid signal, and names what is wrong with a bad one', async () => {
  const plugin = await loadPluginForUnitTest(folder);
  const [good, bad] = plugin.source('${name}').map([
    { id: 'e1', time: '2026-01-10T12:00:00Z', kind: 'login-failure', severity: 'medium', host: 'web01', user: 'alice' },
    { id: 'e2', kind: 'login-failure' },
  ]);
  assert.equal(signalSchema.safeParse(good!.signal).success, true);
  assert.deepEqual(good!.signal!.artifacts, { host: 'web01', user: 'alice' });
  assert.equal(bad!.signal, undefined);
  assert.match(bad!.error!, /time/);
});
`,
  };
}

function positron(name: string): Files {
  return {
    what: `Answers Positron's \`IP_TO_HOSTNAME\` from a table in its settings (replace with a call to your tool through \`ctx.http\`).`,
    settings: [['hosts', 'map', 'IP address -> host name']],
    routes: `Positron provider \`${name}:lookup\` for \`IP_TO_HOSTNAME\``,
    index: `// ${name}: a Positron provider for IP_TO_HOSTNAME. It answers from its settings; to ask a tool instead, call
// it with ctx.http.request(url, { signal }) (proxies, CAs, retries and metrics are the core's).
import { definePlugin, z, IP_TO_HOSTNAME } from 'taser/plugin';

export default definePlugin({
  namespace: '${name}',
  description: 'IP_TO_HOSTNAME from a table (replace with the tool ${name} asks)',
  config: z.strictObject({ hosts: z.record(z.string(), z.string().min(1)).default({}) }),
  enabledByDefault: false,
  exampleConfig: { hosts: { '10.0.0.5': 'db01.example.com' } },
  setup(plugin) {
    plugin.query({
      type: IP_TO_HOSTNAME,
      name: 'lookup',
      async answer({ ip }, { ctx }) {
        const hostname = ctx.config.hosts[ip];
        return hostname ? [{ value: { hostname } }] : [];
      },
    });
  },
});
`,
    test: `${testHeader(name)}
test('answers a known IP and is empty for an unknown one', async () => {
  const plugin = await loadPluginForUnitTest(folder, { hosts: { '10.0.0.5': 'db01.example.com' } });
  const provider = plugin.provider('${name}:lookup');
  const signal = new AbortController().signal;
  assert.deepEqual(await provider.answer({ ip: '10.0.0.5' }, { signal, ctx: plugin.ctx }), [{ value: { hostname: 'db01.example.com' } }]);
  assert.deepEqual(await provider.answer({ ip: '10.9.9.9' }, { signal, ctx: plugin.ctx }), []);
});
`,
  };
}

function job(name: string): Files {
  return {
    what: `Posts a message to a channel on a schedule (an Agenda job, run by one replica at a time).`,
    settings: [['channel', 'channel id', 'where the message goes'], ['every', 'interval', 'how often, e.g. `1 day` (default)']],
    routes: `job \`${name}.report\`, scheduled at start`,
    index: `// ${name}: a scheduled job that posts to a channel. Replace the message with what your team needs.
import { definePlugin, z } from 'taser/plugin';

export default definePlugin({
  namespace: '${name}',
  description: 'Posts a scheduled message (replace with what ${name} does)',
  config: z.strictObject({
    channel: z.string().regex(/^[CG][A-Z0-9]+$/, 'a Slack channel id such as C012AB3CD'),
    every: z.string().min(1).default('1 day'),
  }),
  enabledByDefault: false,
  exampleConfig: { channel: 'C012AB3CD', every: '1 day' },
  setup(plugin) {
    const report = plugin.job({
      name: 'report',
      async handler(_input, ctx) {
        await ctx.slack.chat.postMessage({ channel: ctx.config.channel, text: '${name}: scheduled report' });
      },
    });
    plugin.onStart(async (ctx) => {
      await ctx.scheduler.every(report, ctx.config.every, undefined);
    });
  },
});
`,
    test: `${testHeader(name)}
test('the job posts to the configured channel', async () => {
  const posted: unknown[] = [];
  const slack = { chat: { postMessage: async (message: unknown) => (posted.push(message), { ok: true }) } };
  const plugin = await loadPluginForUnitTest(folder, { channel: 'C0123ABCD' }, { context: { slack: slack as never } });
  await plugin.job('${name}.report').handler({ data: undefined, touch: async () => {} }, plugin.ctx);
  assert.deepEqual(posted, [{ channel: 'C0123ABCD', text: '${name}: scheduled report' }]);
});

test('a channel name instead of an id is refused at load', async () => {
  await assert.rejects(loadPluginForUnitTest(folder, { channel: '#general' }), /plugins\\.${name}\\.channel/);
});
`,
  };
}

function readme(name: string, kind: PluginKind, files: Files): string {
  const rows = files.settings.map(([field, type, meaning]) => `| \`${field}\` | ${type} | ${meaning} |`).join('\n');
  return `# ${name}

${files.what}

Off by default: turn it on in taser.yaml with \`plugins.${name}.enabled: true\`. Settings (\`plugins.${name}\`):

| field | type | meaning |
|---|---|---|
| \`enabled\` | boolean | \`true\` turns the plugin on |
${rows}

Routes: ${files.routes}. Made by \`taser plugin new ${name} --kind ${kind}\`.

Check and test it (in the taser image, as CI does):

\`\`\`sh
taser plugin check plugins/${name}
node --import tsx --test plugins/${name}/*.test.ts
\`\`\`
`;
}

/** Writes DIR/NAME; returns the files written, or throws with what is wrong. */
export function scaffoldPlugin(dir: string, name: string, kind: PluginKind): string[] {
  if (!NAME.test(name)) throw new Error(`plugin name ${JSON.stringify(name)}: lower-case letters, digits and -, starting with a letter, at most 31`);
  if (!PLUGIN_KINDS.includes(kind)) throw new Error(`--kind ${JSON.stringify(kind)}: one of ${PLUGIN_KINDS.join(', ')}`);
  const folder = resolve(dir, name);
  if (existsSync(folder)) throw new Error(`${folder} already exists: choose another name or remove it`);
  const files = { command, source, positron, job }[kind](name);
  mkdirSync(folder, { recursive: true });
  const written = [
    [join(folder, 'index.ts'), files.index],
    [join(folder, `${name}.test.ts`), files.test],
    [join(folder, 'README.md'), readme(name, kind, files)],
  ] as const;
  for (const [path, text] of written) writeFileSync(path, text);
  return written.map(([path]) => path);
}
