// Prometheus metrics shared by the server and the workers. Each process has its own registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsIn: new Counter({
      name: 'lastmile_events_total',
      help: 'Events seen, by type and outcome (accepted, rejected, processed, dead_lettered, failed).',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    filtered: new Counter({
      name: 'lastmile_ingest_filtered_total',
      help: 'Pings the quality gate kept out of the stores, by API and rule (duplicate, zero, accuracy, teleport, future, past).',
      labelNames: ['api', 'rule'] as const,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'lastmile_consumer_lag',
      help: 'Messages behind the end of the partition, as of the last batch.',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'lastmile_batch_duration_seconds',
      help: 'Time to apply one consumer batch, effects and commit included.',
      labelNames: ['worker'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'lastmile_http_request_duration_seconds',
      help: 'HTTP requests answered by server/, by route and status.',
      labelNames: ['route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
