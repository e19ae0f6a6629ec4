// Prometheus metrics (GET /metrics). One registry per app instance so tests can run several apps in a process.
import { Counter, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly handlers = new Counter({
    name: 'taser_handler_total',
    help: 'Plugin handler runs by plugin, kind (command, action, view, event, job) and outcome',
    labelNames: ['plugin', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly slackRequests = new Counter({
    name: 'taser_slack_events_duplicate_total',
    help: 'Slack events skipped because their event_id was already handled (Slack retries)',
    registers: [this.registry],
  });
  readonly polls = new Counter({
    name: 'taser_source_polls_total',
    help: 'Polls of polled signal sources by outcome (ok, failed)',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly pollFailures = new Gauge({
    name: 'taser_source_poll_consecutive_failures',
    help: 'Consecutive failed polls per source (0 when the last poll succeeded)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly sourceEvents = new Counter({
    name: 'taser_source_events_total',
    help: 'Signals received per source by outcome (accepted, duplicate, rejected)',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: 'taser_ready',
    help: '1 when MongoDB answers and the scheduler runs',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'taser_' });
  }
}
