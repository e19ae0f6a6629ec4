// Prometheus metrics of the outbox, on the app's registry (GET /metrics): cards by delivery status (counted in
// MongoDB in the background of each scrape, so every replica reports the same truth) and send attempts by outcome.
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
  let refreshing = false;
  new Gauge({
    name: GAUGE,
    help: 'Alert cards by delivery status (pending, posted, failed, suppressed)',
    labelNames: ['status'] as const,
    registers: [registry],
    // A scrape never waits on the database (a stalled one hung /metrics): it reports the counts of the last
    // refresh and starts the next one in the background, one at a time.
    collect() {
      if (refreshing) return;
      refreshing = true;
      const gauge = this;
      void Promise.all(DELIVERY_STATUSES.map(async (status) => [status, await deliveries(ctx).countDocuments({ status }, { maxTimeMS: 10_000 })] as const))
        .then((counts) => {
          for (const [status, n] of counts) gauge.set({ status }, n);
        })
        .catch((err: unknown) => ctx.logger.warn({ err }, 'alert card counts for /metrics could not be refreshed'))
        .finally(() => (refreshing = false));
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
