// Outbound HTTP metrics per host (GET /metrics). Labels are the host and the calling plugin, never a path
// or query, so the series stay few and carry nothing secret.
import { Counter, Histogram, type Registry } from 'prom-client';

export class HttpMetrics {
  readonly requests: Counter<'plugin' | 'host' | 'method' | 'status'>;
  readonly errors: Counter<'plugin' | 'host' | 'code'>;
  readonly retries: Counter<'plugin' | 'host' | 'reason'>;
  readonly duration: Histogram<'host'>;

  constructor(registry: Registry) {
    // One app, one client: a second client on the same registry (tests) reuses the series.
    const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
    this.requests =
      existing('taser_http_client_requests_total') ??
      new Counter({ name: 'taser_http_client_requests_total', help: 'Outbound HTTP attempts by plugin, host, method and status (or "error": no answer)', labelNames: ['plugin', 'host', 'method', 'status'], registers: [registry] });
    this.errors =
      existing('taser_http_client_errors_total') ??
      new Counter({ name: 'taser_http_client_errors_total', help: 'Outbound HTTP attempts that got no answer, by plugin, host and error code', labelNames: ['plugin', 'host', 'code'], registers: [registry] });
    this.retries =
      existing('taser_http_client_retries_total') ??
      new Counter({ name: 'taser_http_client_retries_total', help: 'Outbound HTTP retries by plugin, host and reason (status or error code)', labelNames: ['plugin', 'host', 'reason'], registers: [registry] });
    this.duration =
      existing('taser_http_client_request_duration_seconds') ??
      new Histogram({ name: 'taser_http_client_request_duration_seconds', help: 'Time to the response headers of one outbound HTTP attempt, by host', labelNames: ['host'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  }
}
