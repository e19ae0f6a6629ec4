// Suricata IDS alerts as signals: POST EVE JSON records (one object, an array, or NDJSON as written to eve.json)
// to /signals/suricata. Alerts become `ids_alert` signals; other EVE event types are skipped.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { mapEve, SOURCE_NAME } from './map.js';

export default definePlugin({
  namespace: 'suricata',
  description: 'Suricata EVE JSON alerts as ids_alert signals (webhook source "suricata")',
  config: z.strictObject({}),
  enabledByDefault: false,
  exampleConfig: {},
  setup(plugin) {
    plugin.source({ name: SOURCE_NAME, map: mapEve });
  },
});
