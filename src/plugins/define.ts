import type { z } from 'zod';
import type { PluginDefinition } from './types.js';

/**
 * Declares a plugin. Only gives the definition its types: the host validates the namespace, the config and the
 * routes when it loads the plugin, so a broken plugin fails at start (or in `taser plugin check`), not later.
 */
export function definePlugin<S extends z.ZodType = z.ZodObject<Record<string, never>>>(
  definition: PluginDefinition<S>,
): PluginDefinition<S> {
  return definition;
}
