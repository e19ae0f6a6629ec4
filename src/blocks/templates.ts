// The app's template set: the core templates in blocks/ plus each plugin's own, registered as `namespace:name`.
import { isAbsolute, join, resolve } from 'node:path';
import { TemplateRenderer } from './renderer.js';
import type { LoadedPlugins } from '../plugins/loader.js';
import type { Renderer } from '../plugins/types.js';

export function loadTemplates(coreDir: string, plugins: Pick<LoadedPlugins, 'routes' | 'plugins'>): Renderer & { renderer: TemplateRenderer } {
  const renderer = new TemplateRenderer();
  renderer.loadDirectory(coreDir);
  for (const { namespace, def: dir } of plugins.routes.templateDirs) {
    const plugin = plugins.plugins.find((p) => p.namespace === namespace);
    const base = plugin?.folder ?? process.cwd();
    renderer.loadDirectory(isAbsolute(dir) ? dir : resolve(join(base, dir)), { prefix: namespace });
  }
  return {
    renderer,
    render: (name, data) => renderer.render(name, data),
    renderView: (name, data) => renderer.renderView(name, data),
  };
}
