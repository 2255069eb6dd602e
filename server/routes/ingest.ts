// POST /api/events: one event or a batch; 202 once Kafka holds them all.
// 401 no or bad token · 403 not yours · 400/413/415 bad body · 429 too fast · 503 Kafka away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from '../../lib/auth/authenticate';
import { bearerToken } from '../../lib/auth/tokens';
import { AppError } from '../../lib/http/errors';
import { readJson, sendJson } from '../../lib/http/node-http';
import { authorizeEvents } from '../../lib/ingest/authorize-events';
import { parseEvents } from '../../lib/ingest/parse-events';
import type { GroupCommit } from '../../lib/ingest/group-commit';
import { publishEvents } from '../../lib/ingest/publish-events';
import type { RateLimiter } from '../../lib/ingest/rate-limiter';
import type { TopicNames } from '../../lib/kafka/topics';
import type { Metrics } from '../../lib/observability/metrics';

export interface IngestDeps {
  publisher: GroupCommit;
  topics: TopicNames;
  metrics: Metrics;
  limits: { maxBodyBytes: number; maxBatch: number; maxFutureMs: number };
  secret: string;
  limiter: RateLimiter;
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, deps: IngestDeps): Promise<void> {
  let events;
  try {
    const claims = authenticate(bearerToken(req.headers.authorization), deps.secret);
    const body = await readJson(req, deps.limits.maxBodyBytes);
    events = parseEvents(body, deps.limits.maxBatch, { now: Date.now(), maxFutureMs: deps.limits.maxFutureMs });
    authorizeEvents(claims, events, Array.isArray(body));
    const key = `${claims.sub.kind}:${claims.sub.id}`;
    if (!deps.limiter.take(key, events.length, Date.now())) {
      const retryAfter = deps.limiter.retryAfter(key, events.length);
      res.setHeader('retry-after', String(retryAfter));
      throw new AppError('rate_limited', `too many events from ${claims.sub.kind} ${claims.sub.id}; retry in ${retryAfter}s`);
    }
  } catch (err) {
    deps.metrics.eventsIn.inc({ type: 'unknown', outcome: 'rejected' });
    throw err;
  }
  try {
    await publishEvents(deps.publisher, deps.topics, events);
  } catch (err) {
    deps.metrics.eventsIn.inc({ type: 'unknown', outcome: 'unavailable' }, events.length);
    throw err;
  }
  const byType = new Map<string, number>();
  for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  for (const [type, count] of byType) deps.metrics.eventsIn.inc({ type, outcome: 'accepted' }, count);
  sendJson(res, 202, { accepted: events.length });
}
