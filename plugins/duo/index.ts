// Duo: authentication logs (Admin API v1/v2 shapes) as a webhook signal source. Denied or fraud-marked pushes
// become `duo_push_denied`, the signal the "failed Duo pushes" correlation rules count.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { DUO_SOURCE, mapDuoBody } from './map.js';

export default definePlugin({
  namespace: 'duo',
  description: 'Duo authentication logs as signals (POST /signals/duo)',
  config: z.strictObject({}),
  enabledByDefault: false,
  exampleConfig: {},
  setup(plugin) {
    plugin.source({ name: DUO_SOURCE, map: mapDuoBody });
  },
});
