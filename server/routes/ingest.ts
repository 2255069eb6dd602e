// POST /api/events: one event or a batch; 202 once Kafka holds them all.
// 401 no or bad token · 403 not yours · 400/413/415 bad body · 429 too fast · 503 Kafka away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from '../../lib/auth/authenticate';
import { type TokenClaims, bearerToken } from '../../lib/auth/tokens';
import { AppError } from '../../lib/http/errors';
import { readJson, sendJson } from '../../lib/http/node-http';
import { type AuthorizeDeps, authorizeEvents } from '../../lib/ingest/authorize-events';
import { parseEvents } from '../../lib/ingest/parse-events';
import type { GroupCommit } from '../../lib/ingest/group-commit';
import { publishEvents } from '../../lib/ingest/publish-events';
import { type GateDeps, judgeAtIngest } from '../../lib/quality/judge-at-ingest';
import type { RateLimiter } from '../../lib/ingest/rate-limiter';
import type { TopicNames } from '../../lib/kafka/topics';
import type { Metrics } from '../../lib/observability/metrics';

export interface IngestDeps extends AuthorizeDeps, GateDeps {
  publisher: GroupCommit;
  topics: TopicNames;
  metrics: Metrics;
  limits: { maxBodyBytes: number; maxBatch: number; maxFutureMs: number };
  secret: string;
  limiter: RateLimiter;
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, deps: IngestDeps): Promise<void> {
  let events;
  let claims: TokenClaims | undefined;
  try {
    claims = authenticate(bearerToken(req.headers.authorization), deps.secret);
    const body = await readJson(req, deps.limits.maxBodyBytes);
    const parsed = parseEvents(body, deps.limits.maxBatch, { now: Date.now(), maxFutureMs: deps.limits.maxFutureMs });
    const key = senderKey(claims);
    if (!deps.limiter.take(key, parsed.length, Date.now())) throw rateLimited(res, deps.limiter, key, parsed.length);
    events = await authorizeEvents(deps, claims, parsed, Array.isArray(body));
  } catch (err) {
    deps.metrics.eventsIn.inc({ type: 'unknown', outcome: 'rejected' });
    // A refused request costs its sender a token too (by token, or by address without one),
    // so nobody can probe tokens, ids or assignments as fast as the network allows.
    const key = claims ? senderKey(claims) : `addr:${req.socket.remoteAddress ?? ''}`;
    if (err instanceof AppError && err.code !== 'rate_limited' && !deps.limiter.take(key, 1, Date.now())) {
      throw rateLimited(res, deps.limiter, key, 1);
    }
    throw err;
  }
  const judged = await judgeAtIngest(deps, events, 'json');
  try {
    if (judged.kept.length > 0) await publishEvents(deps.publisher, deps.topics, judged.kept, claims.sub);
  } catch (err) {
    deps.metrics.eventsIn.inc({ type: 'unknown', outcome: 'unavailable' }, events.length);
    throw err;
  }
  await judged.commit();
  const byType = new Map<string, number>();
  for (const e of judged.kept) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  for (const [type, count] of byType) deps.metrics.eventsIn.inc({ type, outcome: 'accepted' }, count);
  // a filtered ping is answered, not refused: sending it again would not make it better
  sendJson(res, 202, { accepted: judged.kept.length, ...(judged.filtered.length > 0 ? { filtered: judged.filtered } : {}) });
}

const senderKey = (claims: TokenClaims) => `${claims.sub.kind}:${claims.sub.id}`;

function rateLimited(res: ServerResponse, limiter: RateLimiter, key: string, cost: number): AppError {
  const retryAfter = limiter.retryAfter(key, cost);
  res.setHeader('retry-after', String(retryAfter));
  return new AppError('rate_limited', `too many requests from ${key.replace(':', ' ')}; retry in ${retryAfter}s`);
}
