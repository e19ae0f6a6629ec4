// Prometheus metrics of the outbox, on the app's registry (GET /metrics): cards by delivery status (counted in
// MongoDB at scrape time, so every replica reports the same truth) and send attempts by outcome.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PluginContext } from '../../src/plugins/types.js';
import type { AlertsConfig } from './config.js';
import { DELIVERY_STATUSES, deliveries } from './deliveries.js';

const GAUGE = 'taser_alert_cards';
const COUNTER = 'taser_alert_card_sends_total';
const counters = new WeakMap<Registry, Counter<'method' | 'outcome'>>();

export function registerDeliveryMetrics(ctx: PluginContext<AlertsConfig>): void {
  const registry = ctx.metrics;
  if (!registry || registry.getSingleMetric(GAUGE)) return;
  new Gauge({
    name: GAUGE,
    help: 'Alert cards by delivery status (pending, posted, failed, suppressed)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(DELIVERY_STATUSES.map(async (status) => [status, await deliveries(ctx).countDocuments({ status })] as const));
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  counters.set(
    registry,
    new Counter({ name: COUNTER, help: 'Slack calls of the alert outbox by method and outcome', labelNames: ['method', 'outcome'] as const, registers: [registry] }),
  );
}

export function countSend(ctx: PluginContext<AlertsConfig>, method: string, outcome: string): void {
  if (ctx.metrics) counters.get(ctx.metrics)?.inc({ method, outcome });
}
