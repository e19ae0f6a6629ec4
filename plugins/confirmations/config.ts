// Settings under `plugins.confirmations`: which templates render the DMs (any registered template; the
// defaults are this plugin's own, in templates/).
import { z } from 'zod';

const template = z.string().regex(/^([a-z0-9-]+:)?[a-z0-9-]+$/, 'a template name such as "confirmations:user-dm" or "my-plugin:user-dm"');

export const confirmationsPluginConfig = z.strictObject({
  templates: z
    .strictObject({
      user: template.default('confirmations:user-dm'),
      manager: template.default('confirmations:manager-dm'),
      oncall: template.default('confirmations:oncall-dm'),
    })
    .default({ user: 'confirmations:user-dm', manager: 'confirmations:manager-dm', oncall: 'confirmations:oncall-dm' }),
});
export type ConfirmationsPluginConfig = z.output<typeof confirmationsPluginConfig>;
