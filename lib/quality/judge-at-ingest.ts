// The quality gate as both ingest routes use it: the configured rules, the verdicts counted
// by API and rule, and Redis away answered as the store it is (503: send again).
import type { Redis } from 'ioredis';
import type { ValidEvent } from '../events/validate';
import { AppError } from '../http/errors';
import type { Log } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { QualityRules } from './fix-rules';
import { type Judged, judgeEvents } from './quality-gate';

export interface GateDeps {
  redis: Redis;
  quality: QualityRules;
  metrics: Metrics;
  log: Log;
}

export async function judgeAtIngest(deps: GateDeps, events: ValidEvent[], api: 'json' | 'osmand', now = Date.now()): Promise<Judged> {
  let judged: Judged;
  try {
    judged = await judgeEvents(deps.redis, events, deps.quality, now);
  } catch (cause) {
    throw new AppError('unavailable', 'the quality checks could not be made; none is accepted, send them again', [], { cause });
  }
  for (const f of judged.filtered) deps.metrics.filtered.inc({ api, rule: f.rule });
  // once Kafka holds the pings: a track not remembered only means the next pings are judged against an older fix
  const commit = () => judged.commit().catch((err: unknown) => deps.log.warn({ err }, 'the quality gate could not remember the tracks'));
  return { ...judged, commit };
}
