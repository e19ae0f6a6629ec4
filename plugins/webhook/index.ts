// The generic webhook source: any JSON sender becomes a signal source by configuration alone. Each entry under
// `sources` is a source (POST /signals/<name>) whose events are mapped by the paths it gives (config.ts).
import { definePlugin } from '../../src/plugins/define.js';
import { webhookConfigSchema } from './config.js';
import { createMapper } from './map.js';

export default definePlugin({
  namespace: 'webhook',
  description: 'Generic JSON webhook sources, mapped to signals by configured paths',
  config: webhookConfigSchema,
  enabledByDefault: false,
  exampleConfig: {
    sources: {
      'acme-ids': {
        id: 'uuid',
        type: { value: 'ids_alert' },
        occurredAt: 'created_at',
        severity: 'level',
        severityMap: { '1': 'low', '2': 'medium', '3': 'high', '4': 'critical' },
        title: 'name',
        link: 'permalink',
        artifacts: { src_ip: 'net.src', dst_ip: 'net.dst', dst_port: 'net.dport', hostname: 'asset["host.name"]' },
        tags: 'labels',
        events: 'alerts',
      },
    },
  },
  setup(plugin) {
    for (const [name, mapping] of Object.entries(plugin.config.sources)) {
      plugin.source({ name, map: createMapper(name, mapping) });
    }
  },
});
