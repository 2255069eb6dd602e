// The time range and grain of a stats request, from its query string: `from` and `to` as ISO
// times (default: the last span of the grain up to now), `grain` minute, hour or day. Each
// grain caps how many points one request may ask for.
import { AppError } from '../http/errors';
import { assertStorableTime, parseQueryTime } from '../http/query-time';

export const GRAINS = {
  minute: { sec: 60, window: 'm', defaultSpanSec: 60 * 60, maxPoints: 2 * 1440 },
  hour: { sec: 3600, window: 'h', defaultSpanSec: 48 * 3600, maxPoints: 90 * 24 },
  day: { sec: 86_400, window: 'd', defaultSpanSec: 30 * 86_400, maxPoints: 3 * 366 },
} as const;

export type Grain = keyof typeof GRAINS;

export interface StatsRange {
  grain: Grain;
  /** Epoch seconds, aligned down to the grain. */
  from: number;
  /** Epoch seconds, exclusive. */
  to: number;
}

const invalid = (field: string, message: string) => new AppError('validation_failed', `${field}: ${message}`, [{ field: `/${field}`, rule: 'format', message }]);

function time(params: URLSearchParams, field: string): number | undefined {
  const text = params.get(field);
  if (text === null || text === '') return undefined;
  // a calendar date in the years 0001-9999: Postgres refuses year 0 (a 500, not a 400)
  return Math.floor(parseQueryTime(text, field).getTime() / 1000);
}

export function parseStatsRange(params: URLSearchParams, nowMs = Date.now()): StatsRange {
  const grainText = params.get('grain') ?? 'minute';
  if (!Object.hasOwn(GRAINS, grainText)) throw invalid('grain', 'expected minute, hour or day');
  const grain = grainText as Grain;
  const g = GRAINS[grain];
  const to = time(params, 'to') ?? Math.floor(nowMs / 1000);
  const fromRaw = time(params, 'from') ?? to - g.defaultSpanSec;
  const from = fromRaw - (((fromRaw % g.sec) + g.sec) % g.sec);
  if (from >= to) throw invalid('from', 'must be before to');
  // the default span or the alignment may reach back before year 0001
  assertStorableTime(new Date(from * 1000), 'from');
  if ((to - from) / g.sec > g.maxPoints) throw invalid('to', `a ${grain} view covers at most ${g.maxPoints} ${grain}s; pick a coarser grain or a shorter range`);
  return { grain, from, to };
}
