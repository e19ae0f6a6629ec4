import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPlugins } from './loader.js';
import { PluginLoadError } from './routes.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/plugins/', import.meta.url));

describe('plugin loader', () => {
  it('loads plugins and namespaces their routes', async () => {
    const { plugins, routes } = await loadPlugins({ searchDirs: [`${fixtures}ok`], settings: {} });
    expect(plugins.map((p) => p.namespace)).toEqual(['alpha', 'beta']);
    expect([...routes.actions.keys()].sort()).toEqual(['alpha:ping', 'beta:ping']);
    expect(routes.commands.map((c) => `${c.def.command} ${c.def.subcommand}`)).toEqual(['/taser alpha', '/taser secret']);
  });

  it('refuses two plugins with one namespace, naming both folders', async () => {
    const err = await loadPlugins({ searchDirs: [`${fixtures}duplicate-namespace`], settings: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as Error).message).toMatch(/namespace "twin" is used by two plugins: .*duplicate-namespace\/one and .*duplicate-namespace\/two/);
  });

  it('refuses one command registered by two plugins, naming both', async () => {
    const err = await loadPlugins({ searchDirs: [`${fixtures}duplicate-command`], settings: {} }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/command "\/taser same" is registered twice: by plugin "cmd-one" .* and by plugin "cmd-two"/);
  });

  it('names the plugin and the field of an invalid config', async () => {
    const err = await loadPlugins({
      searchDirs: [`${fixtures}bad-config`],
      settings: { gamma: { enabled: true, url: 'not a url', timeoutMs: -1 } },
    }).catch((e: unknown) => e);
    const message = (err as Error).message;
    expect(message).toMatch(/^plugins\.gamma\.url: .*found "not a url"/m);
    expect(message).toMatch(/^plugins\.gamma\.timeoutMs: .*found -1/m);
  });

  it('keeps a plugin off unless enabled, and reports settings for unknown plugins', async () => {
    const off = await loadPlugins({ searchDirs: [`${fixtures}bad-config`], settings: {} });
    expect(off.plugins).toEqual([]);
    expect(off.disabled.map((d) => d.namespace)).toEqual(['gamma']);
    const err = await loadPlugins({ searchDirs: [`${fixtures}ok`], settings: { nosuch: {} } }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('plugins.nosuch: no plugin with this namespace was found');
  });
});
