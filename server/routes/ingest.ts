// POST /api/events: one event or a batch; 202 once Kafka holds them all.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Producer } from 'kafkajs';
import { readJson, sendJson } from '../../lib/http/node-http';
import { parseEvents } from '../../lib/ingest/parse-events';
import { publishEvents } from '../../lib/ingest/publish-events';
import type { TopicNames } from '../../lib/kafka/topics';
import type { Metrics } from '../../lib/observability/metrics';

export interface IngestDeps {
  producer: Producer;
  topics: TopicNames;
  metrics: Metrics;
  limits: { maxBodyBytes: number; maxBatch: number };
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, deps: IngestDeps): Promise<void> {
  let events;
  try {
    const body = await readJson(req, deps.limits.maxBodyBytes);
    events = parseEvents(body, deps.limits.maxBatch);
  } catch (err) {
    deps.metrics.eventsIn.inc({ type: 'unknown', outcome: 'rejected' });
    throw err;
  }
  await publishEvents(deps.producer, deps.topics, events);
  for (const e of events) deps.metrics.eventsIn.inc({ type: e.type, outcome: 'accepted' });
  sendJson(res, 202, { accepted: events.length });
}
