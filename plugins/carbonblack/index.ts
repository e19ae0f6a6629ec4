// Carbon Black alerts as signals: POST Carbon Black Cloud alerts (v7 API, data forwarder, cbc-syslog) or
// Carbon Black EDR event-forwarder watchlist/feed alerts to /signals/carbonblack. Each becomes an `edr_alert`.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { mapCarbonBlack, SOURCE_NAME } from './map.js';

export default definePlugin({
  namespace: 'carbonblack',
  description: 'Carbon Black Cloud and EDR alerts as edr_alert signals (webhook source "carbonblack")',
  config: z.strictObject({}),
  enabledByDefault: false,
  exampleConfig: {},
  setup(plugin) {
    plugin.source({ name: SOURCE_NAME, map: mapCarbonBlack });
  },
});
